"""Validating a V2 synthesis request against the contract, the limits and the loaded voices.

Plain values in, plain values out: the KServe types stay in model.py. Every error says what was
wrong and what is allowed.
"""

import base64
import binascii
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import NoReturn

from predictor.engines import (
    BlendTerm,
    NumericOption,
    ReferenceAudio,
    SynthesisOptions,
    VoiceCatalog,
)
from predictor.reference_audio import ReferenceAudioError, decode_reference
from voxraga.contract import (
    LANGUAGE_PARAMETER,
    SPEAKER_PARAMETER,
    SPEAKER_WAV_INPUT,
    SPEED_PARAMETER,
    SPEED_RANGE,
    TEXT_INPUT,
    WORD_TIMES_PARAMETER,
    Limits,
)

MAX_BLEND_TERMS = 8
"""Voices one `speaker` blend may name."""
MAX_BLEND_WEIGHT = 100.0
BLEND_GRAMMAR = (
    "a voice, or voices blended by weight: terms joined by '+', each 'name' or 'name(weight)' "
    f"(weight a decimal number above 0, up to {MAX_BLEND_WEIGHT:g}; default 1), "
    "e.g. 'alice(2)+bob'"
)
_WEIGHTED = re.compile(r"(?P<name>.*?)\s*\((?P<weight>[^()]*)\)")
_RECORDING = re.compile(r"#(?P<index>[0-9]+)")
_DECIMAL = re.compile(r"[0-9]+(\.[0-9]*)?|\.[0-9]+")


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
    word_times: bool = False
    """Whether each item's word times are asked for (the `word_times` output)."""


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
    speaker, blend = _voice(parameters.get(SPEAKER_PARAMETER), voices, len(references))
    options = SynthesisOptions(
        speaker=speaker,
        blend=blend,
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
    word_times = _boolean(WORD_TIMES_PARAMETER, parameters.get(WORD_TIMES_PARAMETER, False))
    return SynthesisRequest(texts, options, word_times)


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


def _voice(
    value: object, voices: VoiceCatalog, recordings: int
) -> tuple[str | None, tuple[BlendTerm, ...]]:
    """The `speaker` parameter: a built-in voice, or a blend of built-in voices and `#k`
    recordings, as (speaker, blend) for SynthesisOptions."""
    if value is None:
        return None, ()
    if not isinstance(value, str):
        raise RequestError(f"'{SPEAKER_PARAMETER}' must be a string, got {value!r}")
    if value in voices.speakers:
        return value, ()
    terms = _blend_terms(value, voices.speakers)
    if len({name for name, _ in terms}) > 1 and not voices.supports_blending:
        raise RequestError(
            f"'{SPEAKER_PARAMETER}' {value!r} blends voices, but this model cannot blend voices: "
            f"{voices.blending_refused_because}; name one voice"
        )
    weights: dict[str | int, float] = {}
    for name, weight in terms:
        voice = _blend_voice(name, voices, recordings)
        weights[voice] = weights.get(voice, 0.0) + weight
    if len(weights) == 1:
        (voice,) = weights
        if isinstance(voice, str):
            return voice, ()
        if recordings == 1:
            # '#0' of one recording is the voice cloned from all of them.
            return None, ()
    elif recordings and not any(isinstance(voice, int) for voice in weights):
        # Recordings sent, none named: they make the voice, and `speaker` is not used.
        return None, ()
    total = sum(weights.values())
    # One order for one blend however it is written (built-in voices by name, then recordings
    # by index): equal blends share a synthesis, and their sums are the same to the last bit.
    ordered = sorted(weights, key=lambda v: (0, v, 0) if isinstance(v, str) else (1, "", v))
    return None, tuple(BlendTerm(voice, weights[voice] / total) for voice in ordered)


def _blend_voice(name: str, voices: VoiceCatalog, recordings: int) -> str | int:
    """A built-in voice id, or the index of a `speaker_wav` recording for '#k'."""
    if name in voices.speakers:
        return name
    recording = _RECORDING.fullmatch(name)
    if recording is None:
        _unknown_speaker(name, voices)
    if not voices.supports_cloning:
        raise RequestError(
            f"this model does not clone voices, so '{SPEAKER_PARAMETER}' cannot name a "
            f"'{SPEAKER_WAV_INPUT}' recording ({name!r}); XTTS models accept it"
        )
    index = int(recording["index"])
    if index >= recordings:
        sent = (
            f"{recordings} were sent: name #0 to #{recordings - 1}"
            if recordings
            else f"none was sent: send '{SPEAKER_WAV_INPUT}'"
        )
        raise RequestError(
            f"'{SPEAKER_PARAMETER}' names recording {name} of '{SPEAKER_WAV_INPUT}' (0-based), "
            f"but {sent}"
        )
    return index


def _unknown_speaker(name: str, voices: VoiceCatalog) -> NoReturn:
    if not voices.speakers:
        raise RequestError(
            f"unknown speaker {name!r}: this model has no built-in speakers"
            + (f"; clone a voice with '{SPEAKER_WAV_INPUT}'" if voices.supports_cloning else "")
        )
    raise RequestError(f"unknown speaker {name!r}; available: {', '.join(voices.speakers)}")


def _blend_terms(value: str, speakers: tuple[str, ...]) -> list[tuple[str, float]]:
    """(name, weight) of each '+'-joined term of a blend, as written; a term that is a
    built-in voice's whole name (parentheses and all) is that voice, weighing 1."""
    terms = value.split("+")
    if len(terms) > MAX_BLEND_TERMS:
        raise RequestError(
            f"'{SPEAKER_PARAMETER}' blends {len(terms)} voices; at most {MAX_BLEND_TERMS} are "
            "allowed"
        )
    parsed = []
    for term in terms:
        term = term.strip()
        weighted = None if term in speakers else _WEIGHTED.fullmatch(term)
        name, weight = (weighted["name"], weighted["weight"].strip()) if weighted else (term, "1")
        if not name or (("(" in name or ")" in name) and name not in speakers):
            raise RequestError(
                f"'{SPEAKER_PARAMETER}' {value!r} is malformed at {term!r}: it must be "
                f"{BLEND_GRAMMAR}"
            )
        parsed.append((name, _blend_weight(value, name, weight)))
    return parsed


def _blend_weight(value: str, name: str, weight: str) -> float:
    number = float(weight) if _DECIMAL.fullmatch(weight) else math.nan
    if not 0 < number <= MAX_BLEND_WEIGHT:
        raise RequestError(
            f"'{SPEAKER_PARAMETER}' {value!r}: the weight of {name!r} must be a decimal number "
            f"above 0 and up to {MAX_BLEND_WEIGHT:g}, got {weight!r}"
        )
    return number


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


def _boolean(name: str, value: object) -> bool:
    """true or false from JSON, or as a string: gRPC clients may send every parameter as one."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false", "1", "0"):
        return value.strip().lower() in ("true", "1")
    raise RequestError(f"'{name}' must be true or false, got {value!r:.40}")


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
