"""Calling the predictor over V2 with binary tensors: gRPC, or REST with the binary extension.

Never FP32 lists in JSON: a second of 24 kHz audio is 24 k numbers.
"""

import json
import struct
import time
from dataclasses import dataclass

import grpc
import httpx
import numpy as np
from kserve.protocol.grpc import grpc_predict_v2_pb2 as pb
from kserve.protocol.grpc import grpc_predict_v2_pb2_grpc as pb_grpc

from voxraga.contract import (
    AUDIO_LENGTH_OUTPUT,
    AUDIO_OUTPUT,
    MIB,
    MODEL_VERSION_PARAMETER,
    SAMPLE_RATE_PARAMETER,
    TEXT_INPUT,
    Limits,
)
from voxraga.overload import TooManyRequestsError

MAX_REPLY_BYTES = Limits().max_response_bytes + MIB
"""The largest predictor reply accepted: the predictor's own bound on one response, framed."""
READINESS_TTL_S = 1.0
"""How long one answer to "is the predictor ready?" is reused: readiness probes come often."""
READINESS_TIMEOUT_S = 2.0


class PredictorUnavailableError(RuntimeError):
    """The predictor cannot be reached or is not ready: a 503."""


class PredictorRejectedError(ValueError):
    """The predictor refused the request as invalid: a 400 with its message."""


@dataclass(frozen=True)
class PredictorAudio:
    """What the predictor said for a batch of texts."""

    items: list[np.ndarray]
    """Float32 PCM of each text, unpadded."""
    sample_rate: int
    model_version: str


def _parameters(values: dict[str, object]) -> dict[str, pb.InferParameter]:
    converted = {}
    for key, value in values.items():
        if value is None:
            continue
        # gRPC parameters have no float: the predictor accepts numbers as strings.
        converted[key] = pb.InferParameter(string_param=str(value))
    return converted


def _bytes_tensor(texts: list[str]) -> bytes:
    """V2's binary BYTES layout: each element as a 4-byte little-endian length, then UTF-8."""
    return b"".join(struct.pack("<I", len(t.encode())) + t.encode() for t in texts)


def _split_rows(audio: np.ndarray, lengths: np.ndarray) -> list[np.ndarray]:
    return [audio[row, : int(length)].copy() for row, length in enumerate(lengths)]


def _seconds(value: str) -> int:
    return int(value) if value.isascii() and value.isdigit() else 1


def _error_message(response: httpx.Response) -> str:
    try:
        return str(response.json()["error"])
    except (ValueError, KeyError, TypeError):
        return response.text[:500]


class PredictorClient:
    """One predictor model, over gRPC (`grpc-v2`) or REST (`v2`)."""

    def __init__(
        self,
        host: str,
        model_name: str,
        protocol: str,
        timeout_s: float,
        api_key: str | None = None,
    ) -> None:
        self.host = host
        self.model_name = model_name
        self.protocol = protocol
        self.timeout_s = timeout_s
        self._auth = {"authorization": f"Bearer {api_key}"} if api_key else {}
        self._channel: grpc.aio.Channel | None = None
        self._http: httpx.AsyncClient | None = None
        self._ready_until = 0.0

    def _grpc_stub(self) -> pb_grpc.GRPCInferenceServiceStub:
        if self._channel is None:
            options = [("grpc.max_receive_message_length", MAX_REPLY_BYTES)]
            self._channel = grpc.aio.insecure_channel(self.host, options=options)
        return pb_grpc.GRPCInferenceServiceStub(self._channel)

    def _rest(self) -> httpx.AsyncClient:
        if self._http is None:
            base = self.host if "://" in self.host else f"http://{self.host}"
            self._http = httpx.AsyncClient(
                base_url=base, timeout=self.timeout_s, headers=self._auth
            )
        return self._http

    async def is_ready(self) -> bool:
        """Whether the predictor's model answers ready; a ready answer is reused for a second."""
        if time.monotonic() < self._ready_until:
            return True
        try:
            if self.protocol == "grpc-v2":
                reply = await self._grpc_stub().ModelReady(
                    pb.ModelReadyRequest(name=self.model_name),
                    timeout=READINESS_TIMEOUT_S,
                    metadata=tuple(self._auth.items()),
                )
                ready = reply.ready
            else:
                response = await self._rest().get(
                    f"/v2/models/{self.model_name}/ready", timeout=READINESS_TIMEOUT_S
                )
                ready = response.status_code == 200
        except (grpc.aio.AioRpcError, httpx.HTTPError):
            ready = False
        self._ready_until = time.monotonic() + READINESS_TTL_S if ready else 0.0
        return ready

    async def synthesize(self, texts: list[str], parameters: dict[str, object]) -> PredictorAudio:
        """Say `texts` in one predictor request.

        Raises PredictorUnavailableError (unreachable, not ready) or PredictorRejectedError (a 400).
        """
        if self.protocol == "grpc-v2":
            return await self._infer_grpc(texts, parameters)
        return await self._infer_rest(texts, parameters)

    async def _infer_grpc(self, texts: list[str], parameters: dict[str, object]) -> PredictorAudio:
        request = pb.ModelInferRequest(
            model_name=self.model_name,
            inputs=[
                pb.ModelInferRequest.InferInputTensor(
                    name=TEXT_INPUT, datatype="BYTES", shape=[len(texts)]
                )
            ],
            raw_input_contents=[_bytes_tensor(texts)],
            parameters=_parameters(parameters),
        )
        try:
            response = await self._grpc_stub().ModelInfer(
                request, timeout=self.timeout_s, metadata=tuple(self._auth.items())
            )
        except grpc.aio.AioRpcError as exc:
            if exc.code() == grpc.StatusCode.INVALID_ARGUMENT:
                raise PredictorRejectedError(exc.details()) from exc
            if exc.code() == grpc.StatusCode.RESOURCE_EXHAUSTED:
                retry = dict(exc.trailing_metadata() or ()).get("retry-after", "1")
                raise TooManyRequestsError(exc.details(), _seconds(retry)) from exc
            raise PredictorUnavailableError(
                f"predictor {self.host} did not answer: {exc.code().name}: {exc.details()}"
            ) from exc
        outputs = dict(
            zip((o.name for o in response.outputs), response.raw_output_contents, strict=True)
        )
        shapes = {o.name: list(o.shape) for o in response.outputs}
        audio = np.frombuffer(outputs[AUDIO_OUTPUT], dtype=np.float32).reshape(shapes[AUDIO_OUTPUT])
        lengths = np.frombuffer(outputs[AUDIO_LENGTH_OUTPUT], dtype=np.int32)
        params = response.parameters
        return PredictorAudio(
            _split_rows(audio, lengths),
            int(params[SAMPLE_RATE_PARAMETER].int64_param),
            params[MODEL_VERSION_PARAMETER].string_param,
        )

    async def _infer_rest(self, texts: list[str], parameters: dict[str, object]) -> PredictorAudio:
        raw = _bytes_tensor(texts)
        header = json.dumps(
            {
                "inputs": [
                    {
                        "name": TEXT_INPUT,
                        "shape": [len(texts)],
                        "datatype": "BYTES",
                        "parameters": {"binary_data_size": len(raw)},
                    }
                ],
                "outputs": [
                    {"name": AUDIO_OUTPUT, "parameters": {"binary_data": True}},
                    {"name": AUDIO_LENGTH_OUTPUT, "parameters": {"binary_data": True}},
                ],
                "parameters": {k: v for k, v in parameters.items() if v is not None},
            }
        ).encode()
        try:
            response = await self._rest().post(
                f"/v2/models/{self.model_name}/infer",
                content=header + raw,
                headers={
                    "Content-Type": "application/octet-stream",
                    "Inference-Header-Content-Length": str(len(header)),
                },
            )
        except httpx.HTTPError as exc:
            raise PredictorUnavailableError(f"predictor {self.host} did not answer: {exc}") from exc
        if response.status_code == 400:
            raise PredictorRejectedError(_error_message(response))
        if response.status_code == 429:
            retry = _seconds(response.headers.get("retry-after", "1"))
            raise TooManyRequestsError(_error_message(response), retry)
        if response.status_code != 200:
            raise PredictorUnavailableError(
                f"predictor {self.host} answered {response.status_code}: {response.text[:200]}"
            )
        json_length = int(response.headers["inference-header-content-length"])
        payload = json.loads(response.content[:json_length])
        offset, arrays = json_length, {}
        for output in payload["outputs"]:
            size = output["parameters"]["binary_data_size"]
            dtype = np.float32 if output["datatype"] == "FP32" else np.int32
            chunk = response.content[offset : offset + size]
            arrays[output["name"]] = np.frombuffer(chunk, dtype=dtype).reshape(output["shape"])
            offset += size
        return PredictorAudio(
            _split_rows(arrays[AUDIO_OUTPUT], arrays[AUDIO_LENGTH_OUTPUT]),
            int(payload["parameters"][SAMPLE_RATE_PARAMETER]),
            str(payload["parameters"][MODEL_VERSION_PARAMETER]),
        )
