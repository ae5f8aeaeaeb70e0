"""OpenAI-compatible routes: POST /v1/audio/speech, and POST /v1/normalize for debugging."""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from predictor.contract import MODEL_VERSION_HEADER
from transformer.predictor_client import PredictorRejectedError, PredictorUnavailableError
from transformer.speech import SpeechRequestError, SpeechService, build_request, plan
from transformer.text.ssml import Pause

OPENAI_VOICES = frozenset(
    ("alloy", "ash", "ballad", "coral", "echo", "fable", "onyx", "nova", "sage", "shimmer", "verse")
)
"""OpenAI's voice names: clients send them by default; they mean the model's default voice."""
FIELDS = frozenset(
    (
        "model",
        "input",
        "voice",
        "response_format",
        "speed",
        "language",
        "stream_format",
        "instructions",
        "sample_rate",
        "normalize",
    )
)


def _error(status: int, message: str, kind: str) -> JSONResponse:
    return JSONResponse({"error": {"message": message, "type": kind}}, status_code=status)


def openai_router(service: SpeechService) -> APIRouter:
    """The routes, bound to one SpeechService."""
    router = APIRouter()

    @router.post("/v1/audio/speech", response_model=None)
    async def speech(request: Request) -> Response:
        try:
            body: Any = await request.json()
        except ValueError:
            return _error(400, "the body must be JSON", "invalid_request_error")
        if not isinstance(body, dict):
            return _error(400, "the body must be a JSON object", "invalid_request_error")
        unknown = sorted(set(body) - FIELDS)
        if unknown:
            return _error(
                400,
                f"unknown field(s) {', '.join(unknown)}; allowed: {', '.join(sorted(FIELDS))}",
                "invalid_request_error",
            )
        voice = body.get("voice")
        stream_format = body.get("stream_format")
        try:
            if stream_format not in (None, "audio"):
                raise SpeechRequestError(
                    f"unsupported stream_format {stream_format!r}; available: audio (raw audio "
                    "sent sentence by sentence as it is made); leave it out for the whole file"
                )
            speech_request = build_request(
                body.get("input"),
                voice=None if voice in OPENAI_VOICES else voice,
                language=body.get("language"),
                speed=body.get("speed"),
                audio_format=body.get("response_format"),
                sample_rate=body.get("sample_rate"),
                normalize_text=body.get("normalize"),
                default_format="mp3",
                limits=service.limits,
            )
            if stream_format == "audio":
                chunks, info = await service.stream(speech_request)
                return StreamingResponse(
                    chunks,
                    media_type=info.audio_format.content_type,
                    headers={MODEL_VERSION_HEADER: info.model_version},
                )
            result = await service.synthesize(speech_request)
        except (SpeechRequestError, PredictorRejectedError) as exc:
            return _error(400, str(exc), "invalid_request_error")
        except PredictorUnavailableError as exc:
            return _error(503, str(exc), "service_unavailable")
        return Response(
            result.audio,
            media_type=result.audio_format.content_type,
            headers={MODEL_VERSION_HEADER: result.model_version},
        )

    @router.post("/v1/normalize")
    async def normalize(request: Request) -> JSONResponse:
        """What a text becomes before the model reads it, sentence by sentence."""
        try:
            body = await request.json()
            speech_request = build_request(
                body.get("input", body.get("text")),
                language=body.get("language"),
                ssml=body.get("ssml"),
                limits=service.limits,
            )
            steps = plan(
                speech_request, service.default_language, service.limits.max_sentence_chars
            )
        except (ValueError, AttributeError) as exc:
            return _error(400, str(exc), "invalid_request_error")
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
