"""The synthesis pipeline: a planned request said through the predictor, in order, as it is made.

A request's sentences go to the predictor in calls that grow (one sentence, then one, two, four…
up to the batch size), a few calls ahead of the one being encoded and sent, so the first audio
leaves after one sentence and the rest keep ahead of it. Where the model streams (XTTS), a
sentence's audio comes token chunk by token chunk. Whole files, streamed files, SSE and the
WebSocket all read the same pipeline; knows nothing of HTTP or KServe.
"""

import asyncio
import contextlib
import dataclasses
import hashlib
import time
from collections import deque
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Iterator
from typing import TYPE_CHECKING, TypeVar

import numpy as np

from transformer import metrics
from transformer.audio import AudioFormat, Resampler, encoding_rate, silence
from transformer.cache import ByteBoundedLRU
from transformer.encoders import encode, open_encoder
from transformer.plan import Piece, plan
from transformer.predictor_errors import PredictorRejectedError
from transformer.request import Limits, SpeechRequest, SpeechRequestError
from transformer.text.ssml import Pause
from transformer.voices import Voice, VoiceStore
from voxraga.contract import LANGUAGE_PARAMETER, SPEAKER_PARAMETER, SPEED_PARAMETER
from voxraga.error_log import log_error
from voxraga.overload import TooManyRequestsError

if TYPE_CHECKING:  # the client pulls in KServe's gRPC protos, which planning does not need
    from transformer.predictor_client import PredictorClient


LOOKAHEAD_CALLS = 3
"""Predictor calls one request keeps in flight once its first is said."""
CALL_CHARS_AT_SPEED_1 = 1500
"""One predictor call carries at most this many characters once padded to its longest item
(times the speed): about 100 s of audio, a reply far below the predictor's response bound."""
AUDIO_OVERRUN = 2.0
"""A model that speaks far slower than the estimate is stopped at this multiple of the bound."""
RETRY_ATTEMPTS = 5
"""How often a call after the first is retried when the predictor is at capacity: the request
is already admitted (and maybe half sent), so it waits its turn instead of failing."""
MAX_RETRY_WAIT_S = 2.0

T = TypeVar("T")
WordTimes = list[tuple[float, float]]
"""(start, end) seconds of each word of a sentence, from the sentence's start."""


class StreamError(RuntimeError):
    """A stream that had started could not be finished; the message says why (already logged)."""


@dataclasses.dataclass(frozen=True)
class Segment:
    """A stretch of the output, in order."""

    audio: np.ndarray
    """Float32 PCM at the rendering's sample rate."""
    sentence: str | None
    """The sentence this audio says (None: a pause between sentences)."""
    ends: bool
    """Whether this is the last stretch of that sentence (always true for a pause)."""
    word_times: WordTimes | None = None
    """The model's times of the sentence's words, from its start (where asked and known)."""


@dataclasses.dataclass(frozen=True)
class SentenceSpan:
    """Where a sentence's audio lies, in samples."""

    text: str
    start: int
    end: int
    word_times: WordTimes | None = None
    """The model's (start, end) seconds of each word, from the sentence's start."""


@dataclasses.dataclass(frozen=True)
class TimedAudio:
    """A request's whole audio and where each sentence lies in it."""

    audio: np.ndarray
    sample_rate: int
    model_version: str
    sentences: list[SentenceSpan]


@dataclasses.dataclass
class Speech:
    """An encoded file (empty while it streams) and what describes it."""

    audio: bytes
    audio_format: AudioFormat
    sample_rate: int
    duration_seconds: float
    model_version: str


@dataclasses.dataclass(frozen=True)
class _Said:
    index: int
    """The step of the plan this audio says."""
    audio: np.ndarray
    done: bool
    """Whether the step's audio is complete."""
    sample_rate: int
    model_version: str
    word_times: WordTimes | None = None


class Rendering:
    """A request being said: `segments` yields its audio in order as it is made. Close it (or
    read it to the end) to stop what is still being synthesized."""

    def __init__(
        self,
        segments: AsyncGenerator[Segment, None],
        said: AsyncGenerator[_Said, None],
        sample_rate: int,
        model_version: str,
    ) -> None:
        self.segments = segments
        self._said = said
        self.sample_rate = sample_rate
        self.model_version = model_version

    async def aclose(self) -> None:
        """Stop the synthesis still under way."""
        await self.segments.aclose()
        await self._said.aclose()


@contextlib.contextmanager
def stage(name: str) -> Iterator[None]:
    """Time a stage of the request (tts_stage_seconds)."""
    started = time.perf_counter()
    try:
        yield
    finally:
        metrics.STAGE_SECONDS.labels(name).observe(time.perf_counter() - started)


class SpeechService:
    """Turns SpeechRequests into speech through one predictor."""

    def __init__(
        self,
        client: "PredictorClient",
        *,
        default_language: str = "en",
        limits: Limits | None = None,
        cache: ByteBoundedLRU[Speech] | None = None,
        max_concurrent_requests: int = 32,
        voices: VoiceStore | None = None,
    ) -> None:
        self.client = client
        self.voices = voices or VoiceStore(None)
        self.default_language = default_language
        self.limits = limits or Limits()
        self.cache = cache
        self.max_concurrent_requests = max_concurrent_requests
        self._in_progress = 0

    @contextlib.contextmanager
    def admitted(self) -> Iterator[None]:
        """Hold one of the bounded places for requests (and WebSocket sessions) in progress;
        refuse past the bound. The event loop is the only caller: no lock."""
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

    async def plan(self, request: SpeechRequest) -> list[Piece | Pause]:
        """The request's sentences and pauses, each sentence in the language that says it
        (tts_stage_seconds{stage="normalize"}). Normalizing is CPU work: off the event loop."""
        spoken = await self.spoken_languages()
        with stage("normalize"):
            return await asyncio.to_thread(
                plan, request, self.default_language, self.limits, spoken
            )

    async def spoken_languages(self) -> list[str] | None:
        """The languages the model speaks, from its catalog; a model that lists none speaks
        the transformer's default language. None while the catalog cannot be read."""
        catalog = await self.client.voices()
        languages = catalog.get("languages") if catalog else None
        if not isinstance(languages, list):
            return None
        return [code for code in languages if isinstance(code, str)] or [self.default_language]

    async def voice(self, request: SpeechRequest) -> Voice:
        """The request's voice as the predictor takes it (stored voices read from disk)."""
        catalog = await self.client.voices()
        return await asyncio.to_thread(self.voices.resolve, request.voice, catalog)

    async def synthesize(self, request: SpeechRequest, route: str) -> Speech:
        """The whole file; repeated requests come from the cache. `route` labels the metrics."""
        started = time.perf_counter()
        voice = await self.voice(request)
        key = _cache_key(request, voice, streamed=False)
        if self.cache is not None and (cached := self.cache.get(key)) is not None:
            metrics.CACHE_HITS.inc()
            metrics.TIME_TO_FIRST_AUDIO.labels(route).observe(time.perf_counter() - started)
            return cached
        with self.admitted():
            audio, sample_rate, version = await self.pcm(request, voice)
            with stage("encode"):
                # Encoding is CPU work: off the event loop, which keeps serving.
                encoded = await asyncio.to_thread(encode, audio, sample_rate, request.audio_format)
        speech = Speech(
            encoded, request.audio_format, sample_rate, round(len(audio) / sample_rate, 3), version
        )
        if self.cache is not None:
            self.cache.put(key, speech, len(speech.audio))
        metrics.TIME_TO_FIRST_AUDIO.labels(route).observe(time.perf_counter() - started)
        return speech

    async def pcm(
        self, request: SpeechRequest, voice: Voice | None = None, retry_first: bool = False
    ) -> tuple[np.ndarray, int, str]:
        """The request's whole audio, unencoded: samples, their rate, the model version.
        `retry_first`: its first call too waits out the predictor's 429s (a sentence of a
        WebSocket session that has already begun)."""
        timed = await self.timed(request, voice, retry_first)
        return timed.audio, timed.sample_rate, timed.model_version

    async def timed(
        self,
        request: SpeechRequest,
        voice: Voice | None = None,
        retry_first: bool = False,
        word_times: bool = False,
    ) -> "TimedAudio":
        """The request's whole audio, unencoded, with where each sentence lies in it (and,
        with `word_times`, the model's times of its words, where the model has durations)."""
        voice = voice or await self.voice(request)
        steps = await self.plan(request)
        pieces: list[np.ndarray] = []
        spans: list[SentenceSpan] = []
        samples, start = 0, None
        with stage("predict"):
            rendering = await self.render(request, steps, voice, retry_first, word_times)
            try:
                async for segment in rendering.segments:
                    if segment.sentence is not None and start is None:
                        start = samples
                    pieces.append(segment.audio)
                    samples += len(segment.audio)
                    if segment.sentence is not None and segment.ends:
                        spans.append(
                            SentenceSpan(segment.sentence, start or 0, samples, segment.word_times)
                        )
                        start = None
            finally:
                await rendering.aclose()
        audio = np.concatenate(pieces) if pieces else np.zeros(0, np.float32)
        return TimedAudio(audio, rendering.sample_rate, rendering.model_version, spans)

    async def stream(
        self, request: SpeechRequest, route: str
    ) -> tuple[Speech, AsyncIterator[bytes]]:
        """One file of the requested format, its bytes sent as they are encoded.

        Returns a Speech describing the stream (no audio; its duration counts up as the audio is
        sent) and the byte iterator. The first audio is made before this returns, so that what
        fails early is still a plain error; what fails later ends the iterator with StreamError.
        The request's place is held until the iterator ends or is closed (or, never read, is
        collected: it has started, so the event loop closes it).
        """
        stream = self._stream(request, route)
        info = await anext(stream)
        assert isinstance(info, Speech)
        return info, stream  # type: ignore[return-value]

    async def _stream(self, request: SpeechRequest, route: str) -> AsyncIterator[Speech | bytes]:
        started = time.perf_counter()
        voice = await self.voice(request)
        key = _cache_key(request, voice, streamed=True)
        if self.cache is not None and (cached := self.cache.get(key)) is not None:
            metrics.CACHE_HITS.inc()
            yield dataclasses.replace(cached, audio=b"")
            metrics.TIME_TO_FIRST_AUDIO.labels(route).observe(time.perf_counter() - started)
            yield cached.audio
            return
        with self.admitted():
            rendering = await self.render(request, await self.plan(request), voice)
            try:
                info = Speech(
                    b"", request.audio_format, rendering.sample_rate, 0.0, rendering.model_version
                )
                yield info
                encoder = open_encoder(request.audio_format, rendering.sample_rate, streaming=True)
                sent: list[bytes] = []
                samples = 0
                predicting = encoding = 0.0
                while True:
                    mark = time.perf_counter()
                    segment = await anext(rendering.segments, None)
                    predicting += time.perf_counter() - mark
                    if segment is None:
                        break
                    mark = time.perf_counter()
                    data = await asyncio.to_thread(encoder.write, segment.audio)
                    encoding += time.perf_counter() - mark
                    samples += len(segment.audio)
                    info.duration_seconds = round(samples / rendering.sample_rate, 3)
                    if data:
                        if not sent:
                            elapsed = time.perf_counter() - started
                            metrics.TIME_TO_FIRST_AUDIO.labels(route).observe(elapsed)
                        sent.append(data)
                        yield data
                sent.append(await asyncio.to_thread(encoder.close))
                metrics.STAGE_SECONDS.labels("predict").observe(predicting)
                metrics.STAGE_SECONDS.labels("encode").observe(encoding)
                yield sent[-1]
            except Exception as exc:
                status = 400 if isinstance(exc, ValueError) else 503
                log_error(route, status, f"the stream ended early: {exc}")
                raise StreamError(str(exc)) from exc
            finally:
                await rendering.aclose()
        if self.cache is not None:
            whole = dataclasses.replace(info, audio=b"".join(sent))
            self.cache.put(key, whole, len(whole.audio))

    async def render(
        self,
        request: SpeechRequest,
        steps: list[Piece | Pause],
        voice: Voice,
        retry_first: bool = False,
        word_times: bool = False,
    ) -> Rendering:
        """Start saying `steps` in `voice`; returns once the first audio is made (its errors
        raise here). `word_times`: ask the model for its words' times."""
        said = self._said(request, steps, voice, retry_first, word_times)
        try:
            first = await anext(said)
        except BaseException:
            await said.aclose()
            raise
        rate = encoding_rate(request.audio_format, request.sample_rate or first.sample_rate)
        segments = self._timeline(steps, first, said, Resampler(first.sample_rate, rate))
        return Rendering(segments, said, rate, first.model_version)

    async def _timeline(
        self,
        steps: list[Piece | Pause],
        first: _Said,
        said: AsyncGenerator[_Said, None],
        resample: Resampler,
    ) -> AsyncGenerator[Segment, None]:
        """The audio of each step in order, pauses included, at the output rate; stops a model
        that makes far more audio than the request's bound."""
        rate = first.sample_rate
        bound = AUDIO_OVERRUN * self.limits.max_audio_seconds * rate
        made = 0
        next_step = 0

        def pauses(until: int) -> np.ndarray:
            seconds = sum(s.seconds for s in steps[next_step:until] if isinstance(s, Pause))
            return resample(silence(seconds, rate))

        try:
            item: _Said | None = first
            while item is not None:
                if (gap := pauses(item.index)).size:
                    yield Segment(gap, None, True)
                next_step = item.index
                made += len(item.audio)
                if made > bound:
                    raise SpeechRequestError(
                        f"the model made more than {AUDIO_OVERRUN:g} times the "
                        f"{self.limits.max_audio_seconds:g} s this request may make "
                        "(--max_audio_seconds); send less text"
                    )
                piece = steps[item.index]
                text = piece.text if isinstance(piece, Piece) else None
                yield Segment(resample(item.audio), text, item.done, item.word_times)
                if item.done:
                    next_step = item.index + 1
                item = await anext(said, None)
            tail = np.concatenate([pauses(len(steps)), resample(np.zeros(0, np.float32), True)])
            if tail.size:
                yield Segment(tail, None, True)
        finally:
            await said.aclose()

    async def _said(
        self,
        request: SpeechRequest,
        steps: list[Piece | Pause],
        voice: Voice,
        retry_first: bool,
        word_times: bool,
    ) -> AsyncGenerator[_Said, None]:
        """The predictor's audio for each piece, in order, with calls in flight ahead."""
        # Streamed audio comes without word times: ask for them in plain calls.
        streaming = await self.client.streams() and not word_times
        groups = iter(self._groups(steps, one_each=streaming))
        calls: deque[tuple[asyncio.Task, asyncio.Queue]] = deque()

        def launch(retry: bool) -> bool:
            group = next(groups, None)
            if group is None:
                return False
            queue: asyncio.Queue = asyncio.Queue()
            task = asyncio.create_task(
                self._call(voice, group, queue, retry, streaming, word_times)
            )
            calls.append((task, queue))
            return True

        # The first call alone: under load, other requests' first sentences come before this
        # one's later ones. Once it is said, LOOKAHEAD_CALLS stay in flight.
        launch(retry=retry_first)
        try:
            while calls:
                _, queue = calls[0]
                while (item := await queue.get()) is not None:
                    if isinstance(item, BaseException):
                        raise item
                    yield item
                calls.popleft()
                while len(calls) < LOOKAHEAD_CALLS and launch(retry=True):
                    pass
        finally:
            for task, _ in calls:
                task.cancel()
            await asyncio.gather(*(task for task, _ in calls), return_exceptions=True)

    async def _call(
        self,
        voice: Voice,
        group: list[tuple[int, Piece]],
        queue: asyncio.Queue,
        retry: bool,
        streaming: bool,
        word_times: bool = False,
    ) -> None:
        """Say one group in one predictor call, into `queue`: each piece's audio (chunk by
        chunk where the model streams), then None (or the error). Calls after a request's first
        wait out the predictor's 429s."""
        texts = [piece.text for _, piece in group]
        parameters = self._parameters(voice, group[0][1])
        references = voice.references
        try:
            if streaming:
                (index, piece), rate, version = group[0], 0, ""
                stream = await _retrying(
                    lambda: self.client.synthesize_stream(piece.text, parameters, references), retry
                )
                async with stream:
                    rate, version = stream.sample_rate, stream.model_version
                    async for chunk in stream:
                        queue.put_nowait(_Said(index, chunk, False, rate, version))
                queue.put_nowait(_Said(index, np.zeros(0, np.float32), True, rate, version))
            else:
                said = await _retrying(
                    lambda: self.client.synthesize(
                        texts, parameters, references, word_times=word_times
                    ),
                    retry,
                )
                for n, ((index, _), audio) in enumerate(zip(group, said.items, strict=True)):
                    queue.put_nowait(
                        _Said(
                            index,
                            audio,
                            True,
                            said.sample_rate,
                            said.model_version,
                            said.word_times[n] if said.word_times else None,
                        )
                    )
            queue.put_nowait(None)
        except PredictorRejectedError as exc:
            queue.put_nowait(PredictorRejectedError(_in_clients_words(str(exc))))
        except Exception as exc:
            queue.put_nowait(exc)

    def _groups(self, steps: list[Piece | Pause], one_each: bool) -> list[list[tuple[int, Piece]]]:
        """Pieces in call-sized groups of 1, 1, 2, 4… up to the batch size, each within what
        one call may carry: the first audio waits for one sentence only, later calls batch.
        `one_each`: a piece a call (a model that streams says one text at a time)."""
        groups: list[list[tuple[int, Piece]]] = []
        for index, step in enumerate(steps):
            if not isinstance(step, Piece):
                continue
            if groups and not one_each:
                size = min(2 ** max(len(groups) - 2, 0), self.limits.max_batch_size)
                if len(groups[-1]) < size and self._fits(groups[-1], step):
                    groups[-1].append((index, step))
                    continue
            groups.append([(index, step)])
        return groups

    def _fits(self, group: list[tuple[int, Piece]], piece: Piece) -> bool:
        """Whether `piece` may join `group` in one predictor call: same language and speed,
        within the batch size, and a reply (padded to the longest item) of bounded size."""
        first = group[0][1]
        longest = max(len(piece.text), *(len(p.text) for _, p in group))
        return (
            (first.language, first.speed) == (piece.language, piece.speed)
            and len(group) < self.limits.max_batch_size
            and (len(group) + 1) * longest <= CALL_CHARS_AT_SPEED_1 * piece.speed
        )

    def _parameters(self, voice: Voice, piece: Piece) -> dict[str, object]:
        return {
            SPEAKER_PARAMETER: voice.speaker,
            LANGUAGE_PARAMETER: piece.language,
            SPEED_PARAMETER: piece.speed,
        }


async def _retrying(call: Callable[[], Awaitable[T]], retry: bool) -> T:
    """`call()`, again after the predictor's Retry-After (bounded) while it is at capacity,
    where `retry`."""
    for _ in range(RETRY_ATTEMPTS):
        try:
            return await call()
        except TooManyRequestsError as exc:
            if not retry:
                raise
            await asyncio.sleep(min(exc.retry_after_s, MAX_RETRY_WAIT_S))
    return await call()


def _in_clients_words(message: str) -> str:
    """A predictor's refusal as a transformer client reads it: they name voices, not
    speakers, and never send `speaker_wav` themselves."""
    return (
        message.replace("unknown speaker", "unknown voice")
        .replace("'speaker'", "'voice'")
        .replace("'speaker_wav'", "the stored voice's recording")
    )


def _cache_key(request: SpeechRequest, voice: Voice, streamed: bool) -> str:
    """The request's key with its voice's content: a voice deleted and uploaded again under
    its name is another voice."""
    return hashlib.sha256(f"{request.cache_key(streamed)}:{voice.digest()}".encode()).hexdigest()
