"""REST routes beside the V2 ones: what voices and languages a model has, and one text's audio
streamed as it is made (KServe 0.21's V2 has no streaming inference)."""

import contextlib
from collections.abc import AsyncGenerator, Mapping

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, StreamingResponse
from kserve.constants.constants import PredictorProtocol
from kserve.errors import ModelNotReady
from kserve.protocol.dataplane import DataPlane
from kserve.protocol.rest.v2_datamodels import InferenceRequest
from starlette.types import Receive, Scope, Send

from predictor.model import AudioStream, SpeechModel
from voxraga.contract import MODEL_VERSION_HEADER
from voxraga.error_log import log_error
from voxraga.errors import client_message, status_of
from voxraga.pcm_frames import (
    END_FRAME,
    MEDIA_TYPE,
    SAMPLE_RATE_HEADER,
    STREAM_PATH,
    audio_frame,
    error_frame,
)


def voices_router(models: Mapping[str, SpeechModel]) -> APIRouter:
    """`GET /v2/models/{name}/voices`: speakers, languages, options and sample rate, and what
    the model can do (clone, blend, stream, time words)."""
    router = APIRouter()

    @router.get("/v2/models/{model_name}/voices")
    async def voices(model_name: str) -> JSONResponse:
        model = models.get(model_name)
        if model is None:
            return JSONResponse(
                {"error": f"Model with name {model_name} does not exist."}, status_code=404
            )
        if model.engine is None or not model.ready:
            return JSONResponse(
                {"error": f"Model with name {model_name} is not ready."}, status_code=503
            )
        engine = model.engine
        catalog = engine.voices
        return JSONResponse(
            {
                "model_name": model_name,
                "model_version": model.model_version,
                "family": engine.family,
                "sample_rate": engine.sample_rate,
                "speakers": list(catalog.speakers),
                "default_speaker": catalog.default_speaker,
                "languages": list(catalog.languages),
                "default_language": catalog.default_language,
                "voice_cloning": catalog.supports_cloning,
                "voice_blending": catalog.supports_blending,
                "streaming": engine.streams,
                "word_times": engine.word_durations,
                "options": {
                    name: {
                        "minimum": option.minimum,
                        "maximum": option.maximum,
                        "integer": option.integer,
                    }
                    for name, option in catalog.options.items()
                },
            }
        )

    return router


def stream_router(models: Mapping[str, SpeechModel], dataplane: DataPlane) -> APIRouter:
    """`POST /v2/models/{name}/infer/stream`: the V2 request of `/infer` with one text, answered
    with its audio in frames (voxraga/pcm_frames.py) as the engine makes it.

    Every error before the first audio is answered as `/infer` answers it (status, JSON body,
    Retry-After); one after it ends the body with an error frame. A client that goes away stops
    the synthesis: the guard cancels the route, and the response closes its audio."""
    router = APIRouter()

    @router.post(STREAM_PATH, response_model=None)
    async def infer_stream(
        raw_request: Request, model_name: str, request_body: InferenceRequest | bytes
    ) -> StreamingResponse:
        # What KServe's /infer does: readiness (ModelNotFound for an unknown name), then its
        # decoder, for JSON and for the binary tensor extension alike.
        if not await dataplane.model_ready(model_name, True):
            raise ModelNotReady(model_name)
        payload, _ = dataplane.decode(
            request_body,
            dict(raw_request.headers),
            protocol_version=PredictorProtocol.REST_V2.value,
            model_name=model_name,
        )
        audio = await models[model_name].stream(payload)
        return _FrameResponse(
            _frames(audio, f"POST {raw_request.url.path}"),
            media_type=MEDIA_TYPE,
            headers={
                SAMPLE_RATE_HEADER: str(audio.sample_rate),
                MODEL_VERSION_HEADER: audio.model_version,
            },
        )

    return router


async def _frames(audio: AudioStream, route: str) -> AsyncGenerator[bytes, None]:
    async with contextlib.aclosing(audio.chunks) as chunks:
        try:
            async for chunk in chunks:
                yield audio_frame(chunk)
        except Exception as exc:
            message = client_message(exc)
            log_error(route, status_of(exc), message, exc)
            yield error_frame(message)
            return
    yield END_FRAME


class _FrameResponse(StreamingResponse):
    """A StreamingResponse that closes its frames however it ends: a client that goes away
    stops the synthesis now, not when the abandoned generator is collected."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            await self.body_iterator.aclose()
