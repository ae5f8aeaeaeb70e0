"""OpenAI-shaped voice management, `/v1/audio/voices`, and `GET /v1/models`."""

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException

from transformer.openai import ERROR_RESPONSES, REQUEST_FAILURES, error_response, failure_response
from transformer.pipeline import SpeechService
from transformer.request import SpeechRequestError
from transformer.voices import VoiceNotFoundError

ROUTE = "/v1/audio/voices"
MAX_CONSENT_CHARS = 1024
UPLOAD_FIELDS = ("name", "audio_sample", "consent")


def _builtin(name: str) -> dict[str, object]:
    return {"id": name, "object": "audio.voice", "name": name, "created_at": 0, "source": "model"}


def voices_router(service: SpeechService, model_name: str) -> APIRouter:
    """The routes, bound to one SpeechService (its predictor and its VoiceStore)."""
    router = APIRouter()
    store = service.voices

    async def speakers() -> list[str]:
        catalog = await service.client.voices()
        return list((catalog or {}).get("speakers") or [])

    @router.post(ROUTE, responses=ERROR_RESPONSES)
    async def create(request: Request) -> JSONResponse:
        """Upload a recording (multipart: `name`, `audio_sample`, optional `consent`)."""
        route = f"POST {ROUTE}"
        try:
            form = await request.form(max_files=1, max_fields=len(UPLOAD_FIELDS))
        except (MultiPartException, HTTPException, ValueError, KeyError) as exc:
            message = f"send multipart/form-data with {', '.join(UPLOAD_FIELDS)}: {exc}"
            return error_response(route, 400, message[:300], "invalid_request_error")
        try:
            try:
                name, upload, consent = (form.get(field) for field in UPLOAD_FIELDS)
                if unknown := sorted(set(form.keys()) - set(UPLOAD_FIELDS)):
                    raise SpeechRequestError(
                        f"unknown field {unknown[0][:64]!r}; allowed: {', '.join(UPLOAD_FIELDS)}"
                    )
                if not isinstance(name, str) or not name:
                    raise SpeechRequestError("'name' is missing: name the voice")
                if not isinstance(upload, UploadFile):
                    raise SpeechRequestError("'audio_sample' is missing: attach a recording file")
                if consent is not None and (
                    not isinstance(consent, str) or len(consent) > MAX_CONSENT_CHARS
                ):
                    raise SpeechRequestError(
                        f"'consent' must be text of at most {MAX_CONSENT_CHARS} characters"
                    )
                catalog = await service.client.voices()
                if catalog is not None and catalog.get("voice_cloning") is not True:
                    raise SpeechRequestError(
                        f"the model {model_name!r} cannot clone a voice from a recording; its "
                        f"own voices are: {', '.join(await speakers()) or 'one default voice'}"
                    )
                data = await upload.read()
                with service.admitted():
                    voice = await asyncio.to_thread(store.create, name, data, consent)
            finally:
                await form.close()
        except REQUEST_FAILURES as exc:
            return failure_response(route, exc)
        return JSONResponse(voice.to_json())

    @router.get(ROUTE, responses=ERROR_RESPONSES)
    async def list_voices() -> JSONResponse:
        """The model's own voices, then the stored ones, oldest first."""
        stored = await asyncio.to_thread(store.all)
        data = [_builtin(name) for name in await speakers()]
        data += [voice.to_json() for voice in stored]
        return JSONResponse({"object": "list", "data": data})

    @router.get(ROUTE + "/{voice_id}", responses=ERROR_RESPONSES)
    async def get(voice_id: str) -> JSONResponse:
        """A stored voice by id or name, or one of the model's own."""
        if voice_id in await speakers():
            return JSONResponse(_builtin(voice_id))
        try:
            voice = await asyncio.to_thread(store.get, voice_id)
        except VoiceNotFoundError as exc:
            return error_response(f"GET {ROUTE}/...", 404, str(exc), "not_found_error")
        return JSONResponse(voice.to_json())

    @router.delete(ROUTE + "/{voice_id}", responses=ERROR_RESPONSES)
    async def delete(voice_id: str) -> JSONResponse:
        """Remove a stored voice (by id)."""
        route = f"DELETE {ROUTE}/..."
        if voice_id in await speakers():
            message = f"{voice_id!r} is one of the model's own voices; it cannot be deleted"
            return error_response(route, 400, message, "invalid_request_error")
        try:
            voice = await asyncio.to_thread(store.delete, voice_id)
        except VoiceNotFoundError as exc:
            return error_response(route, 404, str(exc), "not_found_error")
        except SpeechRequestError as exc:
            return error_response(route, 400, str(exc), "invalid_request_error")
        return JSONResponse({"id": voice.id, "object": "audio.voice.deleted", "deleted": True})

    @router.get("/v1/models")
    async def models() -> JSONResponse:
        """The served model, in OpenAI's shape (`data`) and KServe's (`models`)."""
        return JSONResponse(
            {
                "object": "list",
                "data": [
                    {"id": model_name, "object": "model", "created": 0, "owned_by": "vox-raga"}
                ],
                "models": [model_name],
            }
        )

    return router
