"""Validating a V2 synthesis request against the contract, the limits and the loaded voices.

Plain values in, plain values out: the KServe types stay in model.py. Every error says what was
wrong and what is allowed.
"""

import base64
import binascii
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from predictor.engines import NumericOption, ReferenceAudio, SynthesisOptions, VoiceCatalog
from predictor.reference_audio import ReferenceAudioError, decode_reference
from voxraga.contract import (
    LANGUAGE_PARAMETER,
    SPEAKER_PARAMETER,
    SPEAKER_WAV_INPUT,
    SPEED_PARAMETER,
    SPEED_RANGE,
    TEXT_INPUT,
    Limits,
)


class RequestError(ValueError):
    """A request that breaks the contract; it becomes a 400 / INVALID_ARGUMENT."""


@dataclass(frozen=True)
class RawInput:
    """One input tensor as it arrived."""

    datatype: str
    """The V2 datatype, e.g. "BYTES"."""
    values: Sequence[bytes | str]
    """The elements, flattened: bytes from binary and gRPC clients, str from JSON clients."""


@dataclass(frozen=True)
class SynthesisRequest:
    """A valid request: the texts to say and how to say them."""

    texts: tuple[str, ...]
    """One item per row of the output."""
    options: SynthesisOptions
    """Shared by every item."""


def parse_request(
    inputs: Mapping[str, RawInput],
    parameters: Mapping[str, object],
    voices: VoiceCatalog,
    limits: Limits,
) -> SynthesisRequest:
    """Check everything a request carries; raise RequestError on the first problem."""
    unknown = sorted(set(inputs) - {TEXT_INPUT, SPEAKER_WAV_INPUT})
    if unknown:
        raise RequestError(
            f"unknown input {', '.join(map(repr, unknown))}; "
            f"inputs are '{TEXT_INPUT}' (BYTES [N]) and optionally "
            f"'{SPEAKER_WAV_INPUT}' (BYTES [K])"
        )
    texts = _texts(inputs.get(TEXT_INPUT), limits)
    references = _references(inputs.get(SPEAKER_WAV_INPUT), voices, limits)
    speaker = _speaker(parameters.get(SPEAKER_PARAMETER), voices)
    options = SynthesisOptions(
        speaker=speaker,
        language=_language(parameters.get(LANGUAGE_PARAMETER), voices),
        speed=_number(
            SPEED_PARAMETER, parameters.get(SPEED_PARAMETER, 1.0), NumericOption(*SPEED_RANGE)
        ),
        references=references,
        sampling={
            name: _number(name, parameters[name], option)
            for name, option in voices.options.items()
            if name in parameters
        },
    )
    return SynthesisRequest(texts, options)


def _texts(raw: RawInput | None, limits: Limits) -> tuple[str, ...]:
    if raw is None:
        raise RequestError(
            f"request has no '{TEXT_INPUT}' input; send the texts as BYTES [N], N >= 1"
        )
    _require_bytes(TEXT_INPUT, raw)
    if not raw.values:
        raise RequestError(f"'{TEXT_INPUT}' is empty; send at least one text (BYTES [N], N >= 1)")
    if len(raw.values) > limits.max_batch_size:
        raise RequestError(
            f"'{TEXT_INPUT}' has {len(raw.values)} items; at most {limits.max_batch_size} "
            "are allowed per request"
        )
    texts = []
    for index, value in enumerate(raw.values):
        label = f"{TEXT_INPUT}[{index}]"
        if isinstance(value, bytes):
            try:
                value = value.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise RequestError(
                    f"{label} is not valid UTF-8 (byte {value[exc.start]:#04x} at offset "
                    f"{exc.start}); texts must be UTF-8"
                ) from exc
        if not value.strip():
            raise RequestError(f"{label} is empty or only whitespace; send something to say")
        if len(value) > limits.max_text_chars:
            raise RequestError(
                f"{label} has {len(value)} characters; at most {limits.max_text_chars} are "
                "allowed per item"
            )
        texts.append(value)
    return tuple(texts)


def _references(
    raw: RawInput | None, voices: VoiceCatalog, limits: Limits
) -> tuple[ReferenceAudio, ...]:
    if raw is None:
        return ()
    if not voices.supports_cloning:
        raise RequestError(
            f"this model does not clone voices, so '{SPEAKER_WAV_INPUT}' is not accepted; "
            "XTTS models accept it"
        )
    _require_bytes(SPEAKER_WAV_INPUT, raw)
    if not raw.values:
        raise RequestError(
            f"'{SPEAKER_WAV_INPUT}' is empty; send 1 to {limits.max_references} recordings"
        )
    if len(raw.values) > limits.max_references:
        raise RequestError(
            f"'{SPEAKER_WAV_INPUT}' has {len(raw.values)} recordings; at most "
            f"{limits.max_references} are allowed"
        )
    references = []
    for index, value in enumerate(raw.values):
        label = f"{SPEAKER_WAV_INPUT}[{index}]"
        data = _base64(label, value) if isinstance(value, str) else value
        if len(data) > limits.max_reference_bytes:
            raise RequestError(
                f"{label} is {len(data)} bytes; at most {limits.max_reference_bytes} are allowed"
            )
        try:
            references.append(decode_reference(data, label, limits.max_reference_seconds))
        except ReferenceAudioError as exc:
            raise RequestError(str(exc)) from exc
    return tuple(references)


def _base64(label: str, value: str) -> bytes:
    """JSON cannot carry raw bytes: JSON clients send recordings base64-encoded."""
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise RequestError(
            f"{label} is a JSON string but not base64; over JSON send recordings base64-encoded, "
            "or use the binary tensor extension or gRPC"
        ) from exc


def _require_bytes(name: str, raw: RawInput) -> None:
    if raw.datatype != "BYTES":
        raise RequestError(f"'{name}' has datatype {raw.datatype}; it must be BYTES")


def _speaker(value: object, voices: VoiceCatalog) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise RequestError(f"'{SPEAKER_PARAMETER}' must be a string, got {value!r}")
    if value not in voices.speakers:
        if not voices.speakers:
            raise RequestError(
                f"unknown speaker {value!r}: this model has no built-in speakers"
                + (f"; clone a voice with '{SPEAKER_WAV_INPUT}'" if voices.supports_cloning else "")
            )
        raise RequestError(f"unknown speaker {value!r}; available: {', '.join(voices.speakers)}")
    return value


def _language(value: object, voices: VoiceCatalog) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise RequestError(
            f"'{LANGUAGE_PARAMETER}' must be a language code such as 'en', got {value!r}"
        )
    if not voices.languages:
        return None
    wanted = value.strip().lower().replace("_", "-")
    for language in voices.languages:
        if wanted == language.lower():
            return language
    base = wanted.split("-")[0]
    for language in voices.languages:
        if base == language.lower().split("-")[0]:
            return language
    raise RequestError(f"unknown language {value!r}; available: {', '.join(voices.languages)}")


def _number(name: str, value: object, option: NumericOption) -> float:
    """A number from JSON, or from a string: gRPC parameters have no float type."""
    allowed = f"{option.minimum:g} to {option.maximum:g}"
    if isinstance(value, bool):
        raise RequestError(f"'{name}' must be a number from {allowed}, got {value!r}")
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            raise RequestError(f"'{name}' must be a number from {allowed}, got {value!r}") from None
    elif isinstance(value, int | float):
        number = float(value)
    else:
        raise RequestError(f"'{name}' must be a number from {allowed}, got {value!r}")
    if not math.isfinite(number) or not option.minimum <= number <= option.maximum:
        raise RequestError(f"'{name}' must be from {allowed}, got {value!r}")
    if option.integer and not number.is_integer():
        raise RequestError(f"'{name}' must be a whole number from {allowed}, got {value!r}")
    return number
