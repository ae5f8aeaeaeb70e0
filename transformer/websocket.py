"""`/v1/audio/speech/stream`: a WebSocket for text that arrives piece by piece (an LLM's tokens).

Each sentence is spoken as soon as its end has arrived: a `sentence` frame with its place on the
output's timeline, then its audio as binary frames, all of one session's audio one continuous
file of the session's format. Sentences are synthesized a few ahead of the one being sent; past
that the server stops reading, and a client that writes faster waits (TCP backpressure).
"""

import asyncio
import contextlib
import dataclasses
import json
import time
from typing import Literal

import numpy as np
from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from transformer import metrics
from transformer.audio import FORMATS, SAMPLE_RATE_RANGE, encoding_rate, silence
from transformer.encoders import open_encoder
from transformer.openai import Voice, validation_message
from transformer.pipeline import SpeechService
from transformer.plan import SENTENCE_GAP_S
from transformer.predictor_errors import PredictorRejectedError, PredictorUnavailableError
from transformer.request import SpeechRequest, SpeechRequestError, build_request
from transformer.text.sentences import complete_sentences
from voxraga.contract import SPEED_RANGE
from voxraga.error_log import log_error
from voxraga.overload import TooManyRequestsError

ROUTE = "/v1/audio/speech/stream"
DEFAULT_SAMPLE_RATE = 24000
"""A session's rate unless its start frame names one: OpenAI's `pcm` is 24 kHz."""
SENTENCES_AHEAD = 4
"""Sentences synthesized ahead of the one being sent, per session."""
MAX_FRAME_CHARS = 65536
"""The largest client frame read, JSON included (the text in it is bounded by
--max_input_chars)."""
START_TIMEOUT_S = 30.0
"""How long a new connection may wait before its `start` frame."""
IDLE_TIMEOUT_S = 300.0
"""How long a session may go without a frame (it holds a place of --max_concurrent_requests)."""
POLICY_VIOLATION = 1008
TRY_AGAIN_LATER = 1013
INTERNAL_ERROR = 1011


class StartFrame(BaseModel):
    """The first frame of a session."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["start"]
    model: str | None = Field(None, max_length=256)
    voice: Voice = None
    response_format: Literal[tuple(FORMATS)] = "pcm"  # type: ignore[valid-type]
    language: str | None = Field(None, min_length=1, max_length=64)
    speed: float | None = Field(None, ge=SPEED_RANGE[0], le=SPEED_RANGE[1])
    sample_rate: int | None = Field(None, ge=SAMPLE_RATE_RANGE[0], le=SAMPLE_RATE_RANGE[1])
    normalize: bool | None = None


class TextFrame(BaseModel):
    """Text to append; `flush` speaks what is buffered, `close` ends the session."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["text", "flush", "close"]
    text: str | None = Field(None, description="With type 'text': the next piece of text.")


class SessionError(Exception):
    """Ends a session with an error frame and a close code."""

    def __init__(self, message: str, code: int = POLICY_VIOLATION) -> None:
        super().__init__(message)
        self.code = code


def websocket_router(service: SpeechService) -> APIRouter:
    """The route, bound to one SpeechService."""
    router = APIRouter()

    @router.websocket(ROUTE)
    async def speech_stream(websocket: WebSocket) -> None:
        await websocket.accept()
        outcome, audio_format = "error", "unknown"
        try:
            start = _start_frame(await _receive(websocket, START_TIMEOUT_S))
            audio_format = start.response_format
            with service.admitted():
                await _Session(service, websocket, start).run()
            outcome = "ok"
        except SessionError as exc:
            outcome = {TRY_AGAIN_LATER: "rejected", INTERNAL_ERROR: "unavailable"}.get(
                exc.code, "invalid"
            )
            await _end(websocket, str(exc), exc.code)
        except TooManyRequestsError as exc:
            outcome = "rejected"
            await _end(websocket, str(exc), TRY_AGAIN_LATER)
        except WebSocketDisconnect:
            outcome = "cancelled"
        except Exception as exc:  # the session ends with a reason, not a traceback in the log
            await _end(websocket, f"the session failed: {exc}"[:500], INTERNAL_ERROR)
        finally:
            metrics.REQUESTS.labels("websocket", audio_format, outcome).inc()

    return router


async def _receive(websocket: WebSocket, within_s: float) -> dict:
    """The next client frame, as a JSON object; a client silent for `within_s` is let go."""
    try:
        async with asyncio.timeout(within_s):
            message = await websocket.receive()
    except TimeoutError:
        raise SessionError(f"no frame for {within_s:g} s; the session is closed") from None
    if message["type"] == "websocket.disconnect":
        raise WebSocketDisconnect(message.get("code", 1000))
    text = message.get("text")
    if text is None:
        raise SessionError("send JSON text frames; binary frames are not read")
    if len(text) > MAX_FRAME_CHARS:
        raise SessionError(
            f"a frame of {len(text)} characters; at most {MAX_FRAME_CHARS} are read at once"
        )
    try:
        frame = json.loads(text)
    except (json.JSONDecodeError, RecursionError, ValueError) as exc:
        raise SessionError(f"a frame is not JSON: {exc}"[:200]) from None
    if not isinstance(frame, dict):
        raise SessionError("a frame must be a JSON object with a 'type'")
    return frame


def _start_frame(frame: dict) -> StartFrame:
    try:
        return StartFrame.model_validate(frame)
    except ValidationError as exc:
        raise SessionError(
            'the first frame must be {"type": "start", ...}: ' + validation_message(exc, StartFrame)
        ) from None


async def _end(websocket: WebSocket, message: str, code: int) -> None:
    log_error(f"WEBSOCKET {ROUTE}", code, message)
    with contextlib.suppress(RuntimeError, WebSocketDisconnect):
        await websocket.send_json({"type": "error", "message": message})
        await websocket.close(code)


@dataclasses.dataclass(frozen=True)
class _Sentence:
    text: str
    synthesis: "asyncio.Future[tuple[np.ndarray, int, str]]"
    queued_at: float
    """When its end arrived: the time to its first audio counts from here."""


class _Session:
    """One connection: reads text, speaks sentences in order, sends their audio."""

    def __init__(self, service: SpeechService, websocket: WebSocket, start: StartFrame) -> None:
        self.service = service
        self.websocket = websocket
        self.start = start
        self.audio_format = FORMATS[start.response_format]
        self.sample_rate = encoding_rate(
            self.audio_format, start.sample_rate or DEFAULT_SAMPLE_RATE
        )
        self.pending: asyncio.Queue[_Sentence | None] = asyncio.Queue(SENTENCES_AHEAD)
        self.buffer = ""
        self.said = 0

    async def run(self) -> None:
        """Read and speak until the client closes (or an error ends the session)."""
        await self.websocket.send_json({"type": "ready", "sample_rate": self.sample_rate})
        reader = asyncio.create_task(self._read())
        speaker = asyncio.create_task(self._speak())
        try:
            done, _ = await asyncio.wait({reader, speaker}, return_when=asyncio.FIRST_EXCEPTION)
            for task in done:
                task.result()
            await speaker
        finally:
            for task in (reader, speaker):
                task.cancel()
            await asyncio.gather(reader, speaker, return_exceptions=True)
            while not self.pending.empty():
                if (sentence := self.pending.get_nowait()) is not None:
                    sentence.synthesis.cancel()

    async def _read(self) -> None:
        while True:
            try:
                frame = TextFrame.model_validate(await _receive(self.websocket, IDLE_TIMEOUT_S))
            except ValidationError as exc:
                raise SessionError(validation_message(exc, TextFrame)) from None
            if frame.type == "text":
                if frame.text is None:
                    raise SessionError("a 'text' frame needs 'text'")
                await self._add(frame.text)
            elif frame.type == "flush":
                await self._say(self.buffer)
                self.buffer = ""
            else:
                await self._say(self.buffer)
                self.buffer = ""
                await self.pending.put(None)
                return

    async def _add(self, text: str) -> None:
        limit = self.service.limits.max_input_chars
        self.buffer += text
        if len(self.buffer) > limit:
            raise SessionError(
                f"{len(self.buffer)} characters without a sentence end; at most {limit} "
                "(--max_input_chars): send a 'flush'"
            )
        done, self.buffer = complete_sentences(self.buffer, self.start.language)
        for sentence in done:
            await self._say(sentence)

    async def _say(self, text: str) -> None:
        """Start synthesizing `text` now; the speaker sends it in its turn."""
        if not text.strip():
            return
        # A session that has begun waits out the predictor's 429s instead of ending.
        synthesis = asyncio.ensure_future(
            self.service.pcm(self._request(text), retry_first=self.said > 0)
        )
        self.said += 1
        try:
            await self.pending.put(_Sentence(text.strip(), synthesis, time.perf_counter()))
        except asyncio.CancelledError:
            synthesis.cancel()
            raise

    def _request(self, text: str) -> SpeechRequest:
        try:
            return build_request(
                text,
                voice=self.start.voice,
                language=self.start.language,
                speed=self.start.speed,
                audio_format="pcm",
                sample_rate=self.sample_rate,
                normalize_text=self.start.normalize,
                limits=self.service.limits,
            )
        except SpeechRequestError as exc:
            raise SessionError(str(exc)) from None

    async def _speak(self) -> None:
        """Send each sentence's frame and audio in order, then `done`."""
        encoder = open_encoder(self.audio_format, self.sample_rate, streaming=True)
        seconds = 0.0
        first = True
        while (sentence := await self.pending.get()) is not None:
            try:
                audio, _, _ = await sentence.synthesis
            except (SpeechRequestError, PredictorRejectedError) as exc:
                raise SessionError(str(exc)) from None
            except TooManyRequestsError as exc:
                raise SessionError(str(exc), TRY_AGAIN_LATER) from None
            except PredictorUnavailableError as exc:
                raise SessionError(str(exc), INTERNAL_ERROR) from None
            gap = silence(SENTENCE_GAP_S if seconds else 0.0, self.sample_rate)
            start = seconds + len(gap) / self.sample_rate
            seconds = start + len(audio) / self.sample_rate
            await self.websocket.send_json(
                {
                    "type": "sentence",
                    "text": sentence.text,
                    "start": round(start, 3),
                    "end": round(seconds, 3),
                }
            )
            data = await asyncio.to_thread(encoder.write, np.concatenate([gap, audio]))
            if data:
                await self.websocket.send_bytes(data)
            if first:
                waited = time.perf_counter() - sentence.queued_at
                metrics.TIME_TO_FIRST_AUDIO.labels("websocket").observe(waited)
                first = False
        if tail := encoder.close():
            await self.websocket.send_bytes(tail)
        await self.websocket.send_json({"type": "done", "audio_seconds": round(seconds, 3)})
        await self.websocket.close(1000)
