"""OpenAI-compatible routes: POST /v1/audio/speech (streamed by default, as OpenAI's, or as
server-sent events), and POST /v1/normalize for debugging.

Bodies are read with pydantic models, which also describe them in the OpenAPI spec (`/docs`,
and what the fuzzing tests generate requests from). Every problem is a 400 in OpenAI's error
shape naming the field the client sent.
"""

import asyncio
import base64
import contextlib
import json
import math
import re
from collections.abc import AsyncIterator
from typing import Annotated, Literal, TypeVar

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from transformer import metrics
from transformer.audio import FORMATS, SAMPLE_RATE_RANGE
from transformer.pipeline import Speech, SpeechService, StreamError
from transformer.predictor_errors import PredictorRejectedError, PredictorUnavailableError
from transformer.request import (
    SpeechRequest,
    SpeechRequestError,
    build_request,
)
from transformer.text.ssml import Pause
from voxraga.contract import MODEL_VERSION_HEADER, SPEED_RANGE
from voxraga.error_log import log_error
from voxraga.overload import TooManyRequestsError

NAME_CHARS = 64
MAX_VALIDATION_PROBLEMS = 5
OUTPUT_TOKENS_PER_SECOND = 50
"""SSE usage counts audio as one output token per 20 ms."""
_TOKEN = re.compile(r"\w+|[^\w\s]")
"""SSE usage counts input as words and punctuation marks (the model has no text tokenizer that
a client could compare)."""


def _voice(value: object) -> object:
    """A voice as a string: OpenAI's `{"id": "voice_..."}` is its id."""
    if isinstance(value, dict):
        if set(value) != {"id"} or not isinstance(value["id"], str):
            raise ValueError('must be a voice\'s id or name, or {"id": "<voice id>"}')
        return value["id"]
    if value is not None and not isinstance(value, str):
        raise ValueError('must be a voice\'s id or name, or {"id": "<voice id>"}')
    return value


Voice = Annotated[str | None, BeforeValidator(_voice)]
"""A body's `voice`: an id, a name, a blend, or `{"id": ...}`."""


class SpeechBody(BaseModel):
    """The body of POST /v1/audio/speech: OpenAI's fields, plus `language`, `sample_rate` and
    `normalize`."""

    model_config = ConfigDict(extra="forbid")

    input: str = Field(description="The text (or an SSML document) to say.")
    model: str | None = Field(None, max_length=256, description="Any model name; one is served.")
    voice: Voice = Field(
        None,
        description="A voice's id or name, {\"id\": ...}, a blend such as 'alice(2)+bob', or "
        "'default' (OpenAI's names mean the default voice too).",
    )
    response_format: Literal[tuple(FORMATS)] | None = Field(  # type: ignore[valid-type]
        None, description="The file format; mp3 by default, as OpenAI's."
    )
    speed: float | None = Field(None, ge=SPEED_RANGE[0], le=SPEED_RANGE[1])
    language: str | None = Field(None, min_length=1, max_length=NAME_CHARS)
    stream: bool | None = Field(
        None,
        description="true (the default): the file is sent sentence by sentence as it is made; "
        "false: the whole file at once, with Content-Length.",
    )
    stream_format: Literal["audio", "sse"] | None = Field(
        None,
        description="'audio' (the default): the file itself; 'sse': server-sent events, "
        "speech.audio.delta with base64 audio, then speech.audio.done with usage.",
    )
    instructions: str | None = Field(
        None, max_length=4096, description="Accepted for OpenAI clients; not used."
    )
    sample_rate: int | None = Field(None, ge=SAMPLE_RATE_RANGE[0], le=SAMPLE_RATE_RANGE[1])
    normalize: bool | None = Field(None, description="Say numbers and abbreviations as words.")


class NormalizeBody(BaseModel):
    """The body of POST /v1/normalize."""

    model_config = ConfigDict(extra="forbid")

    input: str
    language: str | None = Field(None, min_length=1, max_length=NAME_CHARS)
    ssml: bool | None = None


def _json_body(model: type[BaseModel]) -> dict:
    """OpenAPI for a route that reads its body itself (to answer errors in its own shape)."""
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": model.model_json_schema()}},
        }
    }


OUTCOMES = {200: "ok", 400: "invalid", 429: "rejected", 503: "unavailable"}
"""The outcome label of a response, by status."""
ERROR_RESPONSES: dict[int | str, dict] = {
    status: {"description": meaning}
    for status, meaning in (
        (400, "invalid request: the message names the field and what is allowed"),
        (401, "missing or wrong API key"),
        (413, "request body over the limit"),
        (429, "at capacity: retry after the Retry-After header's seconds"),
        (503, "the predictor is not ready"),
    )
}


def error_response(route: str, status: int, message: str, kind: str) -> JSONResponse:
    log_error(route, status, message)
    return JSONResponse({"error": {"message": message, "type": kind}}, status_code=status)


def failure_response(route: str, exc: Exception) -> JSONResponse:
    """The answer to a speech request that failed: 429 with Retry-After at capacity, 503 when
    the predictor is away, else 400 with the message."""
    if isinstance(exc, TooManyRequestsError):
        response = error_response(route, 429, str(exc), "rate_limit_error")
        response.headers["Retry-After"] = str(exc.retry_after_s)
        return response
    if isinstance(exc, PredictorUnavailableError):
        return error_response(route, 503, str(exc), "service_unavailable")
    return error_response(route, 400, str(exc), "invalid_request_error")


Body = TypeVar("Body", bound=BaseModel)


class BodyError(ValueError):
    """A body that is not the JSON object a route takes; the message says why."""


REQUEST_FAILURES = (
    BodyError,
    SpeechRequestError,
    PredictorRejectedError,
    TooManyRequestsError,
    PredictorUnavailableError,
)
"""What a speech request may fail with, each answered by `failure_response`."""


async def read_body(request: Request, model: type[Body]) -> Body:
    """The body as `model`. Python's json reads what clients send (a lone surrogate escape
    included, refused later by name) and says where malformed JSON breaks."""
    raw = await request.body()
    try:
        data = json.loads(raw)
    except UnicodeDecodeError:
        raise BodyError("the body is not UTF-8 JSON") from None
    except json.JSONDecodeError as exc:
        raise BodyError(f"the body is not JSON: {exc}") from None
    except ValueError as exc:  # an integer past Python's 4,300 digits
        raise BodyError(f"the body cannot be read: {exc}"[:200]) from None
    except RecursionError:
        raise BodyError("the body is nested too deeply to read") from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise BodyError(validation_message(exc, model)) from None


def validation_message(exc: ValidationError, body: type[BaseModel]) -> str:
    """Pydantic's findings, each naming the field as the client sent it."""
    problems = []
    for error in exc.errors()[:MAX_VALIDATION_PROBLEMS]:
        field = ".".join(str(part) for part in error["loc"]) or "body"
        if error["type"] == "extra_forbidden":
            allowed = ", ".join(body.model_fields)
            problems.append(f"unknown field '{field:.64}'; allowed: {allowed}")
        else:
            problems.append(f"'{field:.64}': {error['msg']}")
    return "; ".join(problems)


def speech_request_of(body: SpeechBody, service: SpeechService) -> SpeechRequest:
    """The SpeechRequest a speech body asks for; errors name the body's fields."""
    return build_request(
        body.input,
        voice=body.voice,
        language=body.language,
        speed=body.speed,
        audio_format=body.response_format,
        sample_rate=body.sample_rate,
        normalize_text=body.normalize,
        default_format="mp3",
        text_field="input",
        limits=service.limits,
    )


def openai_router(service: SpeechService) -> APIRouter:
    """The routes, bound to one SpeechService."""
    router = APIRouter()

    @router.post(
        "/v1/audio/speech",
        response_model=None,
        openapi_extra=_json_body(SpeechBody),
        responses={
            200: {"description": "the audio file", "content": {"audio/mpeg": {}}},
            **ERROR_RESPONSES,
        },
    )
    async def speech(request: Request) -> Response:
        labels = {"format": "unknown"}
        try:
            response = await _speech(request, labels)
        except asyncio.CancelledError:
            metrics.REQUESTS.labels("openai", labels["format"], "cancelled").inc()
            raise
        outcome = OUTCOMES.get(response.status_code, "error")
        metrics.REQUESTS.labels("openai", labels["format"], outcome).inc()
        return response

    async def _speech(request: Request, labels: dict[str, str]) -> Response:
        route = "POST /v1/audio/speech"
        try:
            body = await read_body(request, SpeechBody)
        except BodyError as exc:
            return error_response(route, 400, str(exc), "invalid_request_error")
        labels["format"] = body.response_format or "mp3"
        try:
            speech_request = speech_request_of(body, service)
            if body.stream is False:
                if body.stream_format == "sse":
                    raise SpeechRequestError(
                        "'stream_format' 'sse' streams; it cannot be used with 'stream': false"
                    )
                result = await service.synthesize(speech_request, "openai")
                return Response(
                    result.audio,
                    media_type=result.audio_format.content_type,
                    headers={MODEL_VERSION_HEADER: result.model_version},
                )
            info, chunks = await service.stream(speech_request, "openai")
        except REQUEST_FAILURES as exc:
            return failure_response(route, exc)
        headers = {MODEL_VERSION_HEADER: info.model_version}
        if body.stream_format == "sse":
            events = _events(chunks, body.input, info)
            return StreamingResponse(events, media_type="text/event-stream", headers=headers)
        return StreamingResponse(
            _until_error(chunks), media_type=info.audio_format.content_type, headers=headers
        )

    @router.post(
        "/v1/normalize", openapi_extra=_json_body(NormalizeBody), responses=ERROR_RESPONSES
    )
    async def normalize(request: Request) -> JSONResponse:
        """What a text becomes before the model reads it, sentence by sentence."""
        route = "POST /v1/normalize"
        try:
            body = await read_body(request, NormalizeBody)
            speech_request = build_request(
                body.input,
                language=body.language,
                ssml=body.ssml,
                text_field="input",
                limits=service.limits,
            )
            steps = await service.plan(speech_request)
        except (BodyError, SpeechRequestError) as exc:
            return error_response(route, 400, str(exc), "invalid_request_error")
        return JSONResponse(
            {
                "text": " ".join(s.text for s in steps if not isinstance(s, Pause)),
                "sentences": [
                    {"pause_seconds": s.seconds}
                    if isinstance(s, Pause)
                    else {"text": s.text, "language": s.language, "speed": s.speed}
                    for s in steps
                ],
            }
        )

    return router


async def _until_error(chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    """The file's bytes; a stream that fails after it started just ends (the error is logged:
    the status line has gone)."""
    async with contextlib.aclosing(chunks):  # type: ignore[type-var]
        try:
            async for chunk in chunks:
                yield chunk
        except StreamError:
            return


def _event(payload: dict) -> bytes:
    return f"data: {json.dumps(payload)}\n\n".encode()


async def _events(chunks: AsyncIterator[bytes], text: str, info: Speech) -> AsyncIterator[bytes]:
    """OpenAI's speech events: a `speech.audio.delta` per chunk of the file, base64, then
    `speech.audio.done` with usage; an `error` event if the stream fails after it started."""
    try:
        async with contextlib.aclosing(chunks):  # type: ignore[type-var]
            async for chunk in chunks:
                yield _event(
                    {"type": "speech.audio.delta", "audio": base64.b64encode(chunk).decode("ascii")}
                )
    except StreamError as exc:
        yield _event({"type": "error", "error": {"message": str(exc), "type": "server_error"}})
        return
    input_tokens = len(_TOKEN.findall(text))
    output_tokens = math.ceil(info.duration_seconds * OUTPUT_TOKENS_PER_SECOND)
    yield _event(
        {
            "type": "speech.audio.done",
            "usage": {
                "input_tokens": input_tokens,
                "output_tokens": output_tokens,
                "total_tokens": input_tokens + output_tokens,
            },
        }
    )
