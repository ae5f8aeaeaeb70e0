"""The kserve.Model in front of the predictor: V2 `text` BYTES [1] in, `audio` BYTES [1] out."""

import asyncio
import base64
import uuid

import numpy as np
from kserve import InferOutput, InferRequest, InferResponse, Model
from kserve.errors import InvalidInput, ServerNotReady
from kserve.protocol.infer_type import to_http_parameters

from transformer import metrics
from transformer.pipeline import Speech, SpeechService
from transformer.predictor_errors import PredictorRejectedError, PredictorUnavailableError
from transformer.request import SpeechRequest, SpeechRequestError, build_request
from voxraga.contract import MODEL_VERSION_HEADER
from voxraga.kserve_compat import answers_in_binary
from voxraga.overload import TooManyRequestsError

TEXT_INPUT = "text"
AUDIO_OUTPUT = "audio"


class SpeechTransformer(Model):
    """Text (or SSML) and options in; the encoded audio file out."""

    def __init__(self, name: str, service: SpeechService) -> None:
        super().__init__(name, return_response_headers=True)
        self.service = service
        self.ready = True

    def load(self) -> bool:
        """Nothing to load: the predictor holds the model."""
        self.ready = True
        return self.ready

    def get_input_types(self) -> list[dict]:
        """Declared in the V2 model metadata."""
        return [{"name": TEXT_INPUT, "datatype": "BYTES", "shape": [1]}]

    def get_output_types(self) -> list[dict]:
        """Declared in the V2 model metadata."""
        return [{"name": AUDIO_OUTPUT, "datatype": "BYTES", "shape": [1]}]

    async def preprocess(
        self, payload: InferRequest, headers: dict[str, str] | None = None
    ) -> tuple[InferRequest, SpeechRequest]:
        """Validate the V2 request into a SpeechRequest."""
        if not isinstance(payload, InferRequest):
            raise InvalidInput("send a V2 inference request with a 'text' BYTES [1] input")
        inputs = {i.name: i for i in payload.inputs}
        if set(inputs) != {TEXT_INPUT}:
            raise InvalidInput(
                f"inputs must be exactly '{TEXT_INPUT}' (BYTES [1]); got {sorted(inputs) or 'none'}"
            )
        tensor = inputs[TEXT_INPUT]
        if tensor.datatype != "BYTES":
            raise InvalidInput(f"'{TEXT_INPUT}' has datatype {tensor.datatype}; it must be BYTES")
        try:
            values = tensor.as_numpy().reshape(-1).tolist()
        # Whatever fails while reading a client's tensor is the client's error.
        except Exception as exc:
            raise InvalidInput(
                f"'{TEXT_INPUT}' does not match its shape {tensor.shape!r:.60}: send one text as "
                "BYTES [1]"
            ) from exc
        if len(values) != 1:
            raise InvalidInput(
                f"'{TEXT_INPUT}' has {len(values)} items; send one text per request (BYTES [1])"
            )
        text = values[0]
        if isinstance(text, bytes):
            try:
                text = text.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise InvalidInput(f"'{TEXT_INPUT}' is not valid UTF-8 ({exc.reason})") from exc
        params = to_http_parameters(payload.parameters or {})
        try:
            request = build_request(
                text,
                voice=params.get("voice"),
                language=params.get("language"),
                speed=params.get("speed"),
                audio_format=params.get("format"),
                sample_rate=params.get("sample_rate"),
                normalize_text=params.get("normalize"),
                ssml=params.get("ssml"),
                limits=self.service.limits,
            )
        except SpeechRequestError as exc:
            raise InvalidInput(str(exc)) from exc
        return payload, request

    def validate(self, payload: object) -> object:
        """Preprocess already validated the request."""
        return payload

    async def predict(
        self,
        payload: tuple[InferRequest, SpeechRequest],
        headers: dict[str, str] | None = None,
        response_headers: dict[str, str] | None = None,
    ) -> tuple[InferRequest, Speech]:
        """Plan, call the predictor, encode."""
        infer_request, request = payload
        outcome = "error"
        try:
            speech = await self.service.synthesize(request, "v2")
            outcome = "ok"
        except (SpeechRequestError, PredictorRejectedError) as exc:
            outcome = "invalid"
            raise InvalidInput(str(exc)) from exc
        except TooManyRequestsError:
            outcome = "rejected"
            raise
        except PredictorUnavailableError as exc:
            outcome = "unavailable"
            raise ServerNotReady(str(exc)) from exc
        except asyncio.CancelledError:
            outcome = "cancelled"
            raise
        finally:
            metrics.REQUESTS.labels("v2", request.audio_format.name, outcome).inc()
        if response_headers is not None:
            response_headers[MODEL_VERSION_HEADER] = speech.model_version
        return infer_request, speech

    async def postprocess(
        self,
        result: tuple[InferRequest, Speech],
        headers: dict[str, str] | None = None,
        response_headers: dict[str, str] | None = None,
    ) -> InferResponse:
        """`audio` BYTES [1]: raw bytes for gRPC and binary clients, base64 for JSON clients."""
        infer_request, speech = result
        binary = answers_in_binary(infer_request, AUDIO_OUTPUT)
        output = InferOutput(AUDIO_OUTPUT, [1], "BYTES")
        if binary:
            output.set_data_from_numpy(np.array([speech.audio], dtype=np.object_), binary_data=True)
        else:
            output.data = [base64.b64encode(speech.audio).decode("ascii")]
            output.parameters = {"content_encoding": "base64"}
        return InferResponse(
            response_id=infer_request.id or str(uuid.uuid4()),
            model_name=self.name,
            infer_outputs=[output],
            parameters={
                "content_type": speech.audio_format.content_type,
                "sample_rate": speech.sample_rate,
                "duration_seconds": str(speech.duration_seconds),
                "model_version": speech.model_version,
            },
            use_binary_outputs=binary,
        )
