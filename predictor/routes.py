"""REST routes beside the V2 ones: what voices and languages a model has."""

from collections.abc import Mapping

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from predictor.model import SpeechModel


def voices_router(models: Mapping[str, SpeechModel]) -> APIRouter:
    """`GET /v2/models/{name}/voices`: speakers, languages, options and sample rate."""
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
