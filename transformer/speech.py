"""From a speech request to an encoded file: plan the utterances, call the predictor, join,
resample, encode. Shared by the V2 model and the OpenAI route; knows nothing of KServe."""

import asyncio
import contextlib
import hashlib
import math
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from transformer import metrics
from transformer.audio import (
    FORMATS,
    SAMPLE_RATE_RANGE,
    AudioFormat,
    encode,
    encoding_rate,
    resample,
    silence,
    streaming_wav_header,
)
from transformer.cache import ByteBoundedLRU
from transformer.text import normalize
from transformer.text.sentences import split_sentences
from transformer.text.ssml import (
    Pause,
    SSMLError,
    SSMLLimits,
    Utterance,
    looks_like_ssml,
    parse_ssml,
)
from voxraga.contract import LANGUAGE_PARAMETER, SPEAKER_PARAMETER, SPEED_PARAMETER, SPEED_RANGE
from voxraga.error_log import log_error
from voxraga.overload import TooManyRequestsError

if TYPE_CHECKING:  # the client pulls in KServe's gRPC protos, which planning does not need
    from transformer.predictor_client import PredictorClient

SENTENCE_GAP_S = 0.15
"""Silence between two sentences said in separate predictor calls."""
STREAMABLE = ("pcm", "wav", "mp3", "ogg", "opus")
CHARS_PER_SECOND = 15.0
"""Speech at speed 1 says at least this many characters a second (the bundled Piper voice says
19 of normalized English): the estimate a request's audio is bounded by before synthesis."""
CALL_CHARS_AT_SPEED_1 = 1500
"""One predictor call carries at most this many characters once padded to its longest item
(times the speed): about 100 s of audio, a reply far below the predictor's response bound."""
SSML_MARKUP_FACTOR = 10
"""An SSML document may be this many times --max_input_chars long, markup included."""
AUDIO_OVERRUN = 2.0
"""A model that speaks far slower than the estimate is stopped at this multiple of the bound."""


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

    def cache_key(self) -> str:
        """A digest of everything that shapes the audio: the cache holds keys of fixed size
        whatever the text (an SSML comment can be 100 KB that says nothing)."""
        fields = (
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


@dataclass(frozen=True)
class Piece:
    """One sentence for one predictor call."""

    text: str
    language: str | None
    speed: float


@dataclass
class Speech:
    """An encoded file and what describes it."""

    audio: bytes
    audio_format: AudioFormat
    sample_rate: int
    duration_seconds: float
    model_version: str


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
    for name, value in (("voice", voice), ("language", language)):
        if value is not None and (not isinstance(value, str) or not 0 < len(value) <= 64):
            raise SpeechRequestError(
                f"'{name}' must be a non-empty string of at most 64 characters, got "
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


def plan(request: SpeechRequest, default_language: str, limits: Limits) -> list[Piece | Pause]:
    """Sentences to say, each with its language and speed, and the pauses between them.

    Refuses, before any synthesis, a request whose audio would pass `limits.max_audio_seconds`.
    """
    language = request.language or default_language
    if request.ssml:
        try:
            items = parse_ssml(
                request.text,
                language,
                SSMLLimits(
                    max_chars=limits.max_input_chars,
                    max_pause_seconds=limits.max_pause_seconds,
                ),
            )
        except SSMLError as exc:
            raise SpeechRequestError(str(exc)) from exc
    else:
        items = [Utterance(request.text, language, 1.0)]
    merged: list[Utterance | Pause] = []
    for item in items:
        if isinstance(item, Utterance):
            text = item.text
            if request.normalize and not item.normalized:
                text = normalize(text, item.language)
            item = Utterance(text, item.language, item.rate, normalized=True)
            previous = merged[-1] if merged else None
            if isinstance(previous, Utterance) and (previous.language, previous.rate) == (
                item.language,
                item.rate,
            ):
                merged[-1] = Utterance(
                    f"{previous.text} {item.text}", item.language, item.rate, True
                )
                continue
        merged.append(item)
    steps: list[Piece | Pause] = []
    for item in merged:
        if isinstance(item, Pause):
            steps.append(item)
            continue
        speed = min(max(request.speed * item.rate, SPEED_RANGE[0]), SPEED_RANGE[1])
        for index, sentence in enumerate(
            split_sentences(item.text, item.language, limits.max_sentence_chars)
        ):
            if index:
                steps.append(Pause(SENTENCE_GAP_S))
            steps.append(Piece(sentence, item.language, round(speed, 4)))
    if not any(isinstance(step, Piece) for step in steps):
        raise SpeechRequestError("the text has nothing to say once markup is removed")
    estimate = estimated_seconds(steps)
    if estimate > limits.max_audio_seconds:
        raise SpeechRequestError(
            f"this request would make about {estimate:.0f} s of audio; at most "
            f"{limits.max_audio_seconds:g} s is allowed (--max_audio_seconds): send less text, "
            "shorter pauses or a faster speed"
        )
    return steps


def estimated_seconds(steps: list[Piece | Pause]) -> float:
    """How long the planned audio will be, from characters, speeds and pauses."""
    return sum(
        step.seconds
        if isinstance(step, Pause)
        else len(step.text) / (CHARS_PER_SECOND * step.speed)
        for step in steps
    )


@contextlib.contextmanager
def _stage(name: str) -> Iterator[None]:
    started = time.perf_counter()
    try:
        yield
    finally:
        metrics.STAGE_SECONDS.labels(name).observe(time.perf_counter() - started)


class SpeechService:
    """Turns SpeechRequests into encoded speech through one predictor."""

    def __init__(
        self,
        client: "PredictorClient",
        *,
        default_language: str = "en",
        limits: Limits | None = None,
        cache: ByteBoundedLRU[Speech] | None = None,
        max_concurrent_requests: int = 32,
    ) -> None:
        self.client = client
        self.default_language = default_language
        self.limits = limits or Limits()
        self.cache = cache
        self.max_concurrent_requests = max_concurrent_requests
        self._in_progress = 0

    @contextlib.contextmanager
    def _admitted(self) -> Iterator[None]:
        """Hold one of the bounded places for requests in progress; refuse past the bound.

        The event loop is the only caller: no lock.
        """
        if self._in_progress >= self.max_concurrent_requests:
            raise TooManyRequestsError(
                f"the transformer is at capacity: {self._in_progress} requests in progress, "
                f"at most {self.max_concurrent_requests} (--max_concurrent_requests); retry "
                "shortly"
            )
        self._in_progress += 1
        try:
            yield
        finally:
            self._in_progress -= 1

    def _parameters(self, request: SpeechRequest, piece: Piece) -> dict[str, object]:
        return {
            SPEAKER_PARAMETER: request.voice,
            LANGUAGE_PARAMETER: piece.language,
            SPEED_PARAMETER: piece.speed,
        }

    async def synthesize(self, request: SpeechRequest, route: str) -> Speech:
        """The whole file; repeated requests come from the cache. `route` labels the metrics."""
        started = time.perf_counter()
        key = request.cache_key()
        if self.cache is not None and (cached := self.cache.get(key)) is not None:
            metrics.CACHE_HITS.inc()
            metrics.TIME_TO_FIRST_AUDIO.labels(route).observe(time.perf_counter() - started)
            return cached
        with self._admitted():
            with _stage("normalize"):
                steps = plan(request, self.default_language, self.limits)
            with _stage("predict"):
                audio, sample_rate, version = await self._render(request, steps)
            with _stage("encode"):
                # Resampling and encoding are CPU work: off the event loop, which keeps serving.
                speech = await asyncio.to_thread(self._encode, request, audio, sample_rate, version)
        if self.cache is not None:
            self.cache.put(key, speech, len(speech.audio))
        metrics.TIME_TO_FIRST_AUDIO.labels(route).observe(time.perf_counter() - started)
        return speech

    async def _render(
        self, request: SpeechRequest, steps: list[Piece | Pause]
    ) -> tuple[np.ndarray, int, str]:
        """Call the predictor once per run of pieces sharing language and speed (batched), each
        call small enough that its reply fits, and stop a model that overruns the bound."""
        results: dict[int, np.ndarray] = {}
        sample_rate, version = 0, ""
        samples = 0
        batch: list[tuple[int, Piece]] = []

        async def flush() -> None:
            nonlocal sample_rate, version, samples
            if not batch:
                return
            first = batch[0][1]
            said = await self.client.synthesize(
                [piece.text for _, piece in batch], self._parameters(request, first)
            )
            sample_rate, version = said.sample_rate, said.model_version
            for (index, _), audio in zip(batch, said.items, strict=True):
                results[index] = audio
                samples += len(audio)
            batch.clear()
            if samples > AUDIO_OVERRUN * self.limits.max_audio_seconds * sample_rate:
                raise SpeechRequestError(
                    f"the model made more than {AUDIO_OVERRUN:g} times the "
                    f"{self.limits.max_audio_seconds:g} s this request may make "
                    "(--max_audio_seconds); send less text"
                )

        for index, step in enumerate(steps):
            if isinstance(step, Pause):
                continue
            if batch and not self._fits(batch, step):
                await flush()
            batch.append((index, step))
        await flush()
        parts = [
            silence(step.seconds, sample_rate) if isinstance(step, Pause) else results[index]
            for index, step in enumerate(steps)
        ]
        return np.concatenate(parts).astype(np.float32), sample_rate, version

    def _fits(self, batch: list[tuple[int, Piece]], piece: Piece) -> bool:
        """Whether `piece` may join `batch` in one predictor call: same language and speed,
        within the batch size, and a reply (padded to the longest item) of bounded size."""
        first = batch[0][1]
        longest = max(len(piece.text), *(len(p.text) for _, p in batch))
        return (
            (first.language, first.speed) == (piece.language, piece.speed)
            and len(batch) < self.limits.max_batch_size
            and (len(batch) + 1) * longest <= CALL_CHARS_AT_SPEED_1 * piece.speed
        )

    def _encode(
        self, request: SpeechRequest, audio: np.ndarray, sample_rate: int, version: str
    ) -> Speech:
        rate = encoding_rate(request.audio_format, request.sample_rate or sample_rate)
        audio = resample(audio, sample_rate, rate)
        return Speech(
            encode(audio, rate, request.audio_format),
            request.audio_format,
            rate,
            round(len(audio) / rate, 3),
            version,
        )

    async def stream(
        self, request: SpeechRequest, route: str
    ) -> tuple[AsyncIterator[bytes], Speech]:
        """Audio sentence by sentence, each chunk sent as soon as it is made.

        Returns the chunk iterator and a Speech whose fields other than `audio` describe the
        stream (the model version is known after the first chunk). The first sentence is
        synthesized before this returns, so that predictor errors are still plain errors.
        """
        if request.audio_format.name not in STREAMABLE:
            raise SpeechRequestError(
                f"format {request.audio_format.name!r} cannot be streamed; streamable: "
                f"{', '.join(STREAMABLE)}"
            )
        started = time.perf_counter()
        with contextlib.ExitStack() as stack:
            stack.enter_context(self._admitted())
            with _stage("normalize"):
                steps = plan(request, self.default_language, self.limits)
            first_index = next(i for i, step in enumerate(steps) if isinstance(step, Piece))
            first = await self.client.synthesize(
                [steps[first_index].text], self._parameters(request, steps[first_index])
            )
            # The stream holds the place from here: released when it ends or is closed.
            admission = stack.pop_all()
        rate = encoding_rate(request.audio_format, request.sample_rate or first.sample_rate)
        info = Speech(b"", request.audio_format, rate, 0.0, first.model_version)

        def chunk(audio: np.ndarray) -> bytes:
            audio = resample(audio, first.sample_rate, rate)
            if request.audio_format.name in ("pcm", "wav"):
                return encode(audio, rate, FORMATS["pcm"])
            return encode(audio, rate, request.audio_format)

        async def chunks() -> AsyncIterator[bytes]:
            try:
                async for piece in sentences():
                    yield piece
            finally:
                admission.close()

        async def sentences() -> AsyncIterator[bytes]:
            if request.audio_format.name == "wav":
                yield streaming_wav_header(rate)
            pending_pause = 0.0
            samples = 0
            overrun = AUDIO_OVERRUN * self.limits.max_audio_seconds * first.sample_rate
            for index, step in enumerate(steps):
                if isinstance(step, Pause):
                    pending_pause += step.seconds
                    continue
                if index == first_index:
                    audio = first.items[0]
                else:
                    try:
                        said = await self.client.synthesize(
                            [step.text], self._parameters(request, step)
                        )
                    # The response has started: all that is left is to end it, and say why.
                    except Exception as exc:
                        status = 400 if isinstance(exc, ValueError) else 503
                        log_error("stream", status, f"the stream ended early: {exc}")
                        return
                    audio = said.items[0]
                samples += len(audio)
                if samples > overrun:
                    log_error("stream", 400, "the stream ended at the audio bound")
                    return
                if pending_pause and index > first_index:
                    audio = np.concatenate([silence(pending_pause, first.sample_rate), audio])
                pending_pause = 0.0
                encoded = await asyncio.to_thread(chunk, audio)
                if index == first_index:
                    elapsed = time.perf_counter() - started
                    metrics.TIME_TO_FIRST_AUDIO.labels(route).observe(elapsed)
                yield encoded

        return chunks(), info
