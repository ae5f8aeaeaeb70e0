"""`POST /v1/audio/speech/timestamps`: the encoded file with its word and sentence times, and
optionally its subtitles."""

import asyncio
import base64
from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import Field

from transformer import metrics
from transformer.captions import sentence_times, subtitles, word_times
from transformer.encoders import encode
from transformer.openai import (
    ERROR_RESPONSES,
    OUTCOMES,
    REQUEST_FAILURES,
    SpeechBody,
    failure_response,
    read_body,
    speech_request_of,
)
from transformer.pipeline import SpeechService, stage
from transformer.request import SpeechRequestError
from voxraga.contract import MODEL_VERSION_HEADER

ROUTE = "/v1/audio/speech/timestamps"


class TimestampsBody(SpeechBody):
    """The speech body, and which subtitle file to add."""

    captions: Literal["srt", "vtt"] | None = Field(
        None, description="Add the sentences as an SRT or WebVTT file."
    )


def timestamps_router(service: SpeechService) -> APIRouter:
    """The route, bound to one SpeechService."""
    router = APIRouter()

    @router.post(ROUTE, response_model=None, responses=ERROR_RESPONSES)
    async def timestamps(request: Request) -> JSONResponse:
        """The whole file (base64) with `words` and `sentences` times in seconds."""
        route = f"POST {ROUTE}"
        audio_format = "unknown"
        try:
            body = await read_body(request, TimestampsBody)
            audio_format = body.response_format or "mp3"
            speech_request = speech_request_of(body, service)
            if body.stream:
                raise SpeechRequestError(f"{ROUTE} answers JSON at once: 'stream' must be false")
            with service.admitted():
                timed = await service.timed(speech_request, word_times=True)
                with stage("encode"):
                    encoded = await asyncio.to_thread(
                        encode, timed.audio, timed.sample_rate, speech_request.audio_format
                    )
        except REQUEST_FAILURES as exc:
            response = failure_response(route, exc)
        else:
            sentences = sentence_times(timed.sentences, timed.sample_rate)
            words = word_times(timed.sentences, timed.audio, timed.sample_rate)
            payload: dict[str, object] = {
                "audio": base64.b64encode(encoded).decode("ascii"),
                "content_type": speech_request.audio_format.content_type,
                "words": [w.to_json("word") for w in words],
                "sentences": [s.to_json("text") for s in sentences],
            }
            if body.captions:
                payload["captions"] = subtitles(sentences, body.captions)
            response = JSONResponse(payload, headers={MODEL_VERSION_HEADER: timed.model_version})
        outcome = OUTCOMES.get(response.status_code, "error")
        metrics.REQUESTS.labels("timestamps", audio_format, outcome).inc()
        return response

    return router
