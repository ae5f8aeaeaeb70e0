"""A speech request, validated: every option a client may send, and the bounds on each."""

import hashlib
import math
from dataclasses import dataclass

from transformer.audio import FORMATS, SAMPLE_RATE_RANGE, AudioFormat
from transformer.text.ssml import looks_like_ssml
from voxraga.contract import SPEED_RANGE

CHARS_PER_SECOND = 15.0
"""Speech at speed 1 says at least this many characters a second (the bundled Piper voice says
19 of normalized English): the estimate a request's audio is bounded by before synthesis."""
MAX_VOICE_CHARS = 600
"""A voice's id or name, or a blend of up to 8 of them with weights."""
SSML_MARKUP_FACTOR = 10
"""An SSML document may be this many times --max_input_chars long, markup included."""


class SpeechRequestError(ValueError):
    """A request option that is not allowed; the message names the field and what is."""


def default_max_audio_seconds(max_input_chars: int, max_pause_seconds: float) -> float:
    """What the longest text said at speed 1 takes, half as long again for sentence gaps and
    numbers said in words, plus the longest pauses."""
    return round(1.5 * max_input_chars / CHARS_PER_SECOND + max_pause_seconds)


@dataclass(frozen=True)
class Limits:
    """Bounds on what one request may ask for."""

    max_input_chars: int = 10000
    """Speakable characters, counted after SSML is expanded."""
    max_sentence_chars: int = 250
    max_batch_size: int = 16
    max_pause_seconds: float = 60.0
    """Sum of the pauses SSML asks for."""
    max_audio_seconds: float = default_max_audio_seconds(10000, 60.0)
    """Audio one request may make, as estimated before synthesis."""


@dataclass(frozen=True)
class SpeechRequest:
    """What a person asked for, validated."""

    text: str
    voice: str | None = None
    language: str | None = None
    speed: float = 1.0
    audio_format: AudioFormat = FORMATS["wav"]
    sample_rate: int | None = None
    normalize: bool = True
    ssml: bool = False

    def cache_key(self, streamed: bool = False) -> str:
        """A digest of everything that shapes the file (a streamed one states no lengths): the
        cache holds keys of fixed size whatever the text (an SSML comment can be 100 KB that
        says nothing)."""
        fields = (
            streamed,
            self.text,
            self.voice,
            self.language,
            self.speed,
            self.audio_format.name,
            self.sample_rate,
            self.normalize,
            self.ssml,
        )
        return hashlib.sha256(repr(fields).encode("utf-8", "surrogatepass")).hexdigest()


def build_request(
    text: object,
    *,
    voice: object = None,
    language: object = None,
    speed: object = None,
    audio_format: object = None,
    sample_rate: object = None,
    normalize_text: object = None,
    ssml: object = None,
    default_format: str = "wav",
    text_field: str = "text",
    limits: Limits,
) -> SpeechRequest:
    """Validate every option; each error names the field (as the client named it: `input` on
    the OpenAI route) and what is allowed."""
    if not isinstance(text, str):
        raise SpeechRequestError(f"'{text_field}' must be a string, got {type(text).__name__}")
    _check_characters(text_field, text)
    if not text.strip():
        raise SpeechRequestError(f"'{text_field}' is empty; send something to say")
    is_ssml = looks_like_ssml(text) if ssml is None else _boolean("ssml", ssml)
    # SSML is bounded by what it says once parsed (plan()); its markup only loosely here.
    bound = limits.max_input_chars * (SSML_MARKUP_FACTOR if is_ssml else 1)
    if len(text) > bound:
        raise SpeechRequestError(
            f"'{text_field}' has {len(text)} characters; at most {bound} are allowed"
            + (" for an SSML document" if is_ssml else "")
        )
    for name, value, longest in (("voice", voice, MAX_VOICE_CHARS), ("language", language, 64)):
        if value is not None and (not isinstance(value, str) or not 0 < len(value) <= longest):
            raise SpeechRequestError(
                f"'{name}' must be a non-empty string of at most {longest} characters, got "
                f"{type(value).__name__ if not isinstance(value, str) else repr(value[:64])}"
            )
        if isinstance(value, str):
            _check_characters(name, value)
    format_name = default_format if audio_format is None else audio_format
    if not isinstance(format_name, str) or format_name.lower() not in FORMATS:
        raise SpeechRequestError(
            f"unknown format {format_name!r:.40}; available: {', '.join(FORMATS)}"
        )
    return SpeechRequest(
        text=text,
        voice=voice,
        language=language,
        speed=_number("speed", 1.0 if speed is None else speed, *SPEED_RANGE),
        audio_format=FORMATS[format_name.lower()],
        sample_rate=None
        if sample_rate is None
        else int(_number("sample_rate", sample_rate, *SAMPLE_RATE_RANGE, integer=True)),
        normalize=_boolean("normalize", True if normalize_text is None else normalize_text),
        ssml=is_ssml,
    )


def _check_characters(field: str, value: str) -> None:
    """Text must be encodable: JSON can carry a lone surrogate, which UTF-8 cannot."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise SpeechRequestError(
            f"'{field}' has a lone surrogate U+{ord(value[exc.start]):04X} at offset "
            f"{exc.start}; send valid Unicode text"
        ) from None


def _number(name: str, value: object, low: float, high: float, integer: bool = False) -> float:
    allowed = f"{'a whole number' if integer else 'a number'} from {low:g} to {high:g}"
    if isinstance(value, bool):
        raise SpeechRequestError(f"'{name}' must be {allowed}, got {value!r:.40}")
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise SpeechRequestError(f"'{name}' must be {allowed}, got {value!r:.40}") from None
    if (
        not math.isfinite(number)
        or not low <= number <= high
        or (integer and not number.is_integer())
    ):
        raise SpeechRequestError(f"'{name}' must be {allowed}, got {value!r:.40}")
    return number


def _boolean(name: str, value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false", "1", "0"):
        return value.lower() in ("true", "1")
    raise SpeechRequestError(f"'{name}' must be true or false, got {value!r:.40}")
