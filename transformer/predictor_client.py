"""Calling the predictor over V2 with binary tensors: gRPC, or REST with the binary extension;
and over its REST streaming route, one text's audio as it is made.

Never FP32 lists in JSON: a second of 24 kHz audio is 24 k numbers.
"""

import json
import struct
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from types import TracebackType

import grpc
import httpx
import numpy as np
from kserve.protocol.grpc import grpc_predict_v2_pb2 as pb
from kserve.protocol.grpc import grpc_predict_v2_pb2_grpc as pb_grpc

from voxraga.contract import (
    AUDIO_LENGTH_OUTPUT,
    AUDIO_OUTPUT,
    MIB,
    MODEL_VERSION_HEADER,
    MODEL_VERSION_PARAMETER,
    SAMPLE_RATE_PARAMETER,
    TEXT_INPUT,
    Limits,
)
from voxraga.overload import TooManyRequestsError
from voxraga.pcm_frames import (
    SAMPLE_RATE_HEADER,
    STREAM_PATH,
    FrameDecoder,
    FramingError,
    StreamFailedError,
)

MAX_REPLY_BYTES = Limits().max_response_bytes + MIB
"""The largest predictor reply accepted: the predictor's own bound on one response, framed."""
READINESS_TTL_S = 1.0
"""How long one answer to "is the predictor ready?" is reused: readiness probes come often."""
READINESS_TIMEOUT_S = 2.0


class PredictorUnavailableError(RuntimeError):
    """The predictor cannot be reached or is not ready: a 503."""


class PredictorRejectedError(ValueError):
    """The predictor refused the request as invalid: a 400 with its message."""


class PredictorStreamError(PredictorUnavailableError):
    """A stream broke off after its audio had begun: the predictor failed part way (its
    message), or the connection or the framing did."""


@dataclass(frozen=True)
class PredictorAudio:
    """What the predictor said for a batch of texts."""

    items: list[np.ndarray]
    """Float32 PCM of each text, unpadded."""
    sample_rate: int
    model_version: str


class PredictorStream:
    """One text's audio as the predictor makes it (`PredictorClient.synthesize_stream`).

    Iterate it (`async for chunk in stream`) for float32 PCM chunks in order; the last one read,
    the stream is whole, else iterating raises PredictorStreamError. Leaving early, close it
    (`await stream.aclose()`, or `async with stream:`): that ends the HTTP response, and so the
    predictor's generation.
    """

    def __init__(
        self, response: httpx.Response, sample_rate: int, model_version: str, host: str
    ) -> None:
        self.sample_rate = sample_rate
        """Samples per second of every chunk."""
        self.model_version = model_version
        """The predictor model that says it."""
        self._response = response
        self._host = host
        self._chunks = self._read()

    def __aiter__(self) -> AsyncIterator[np.ndarray]:
        return self._chunks

    async def aclose(self) -> None:
        """Stop reading and end the response; the predictor stops its generation."""
        await self._chunks.aclose()
        await self._response.aclose()

    async def __aenter__(self) -> "PredictorStream":
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def _read(self) -> AsyncIterator[np.ndarray]:
        decoder = FrameDecoder()
        try:
            async for data in self._response.aiter_bytes():
                for chunk in decoder.feed(data):
                    yield chunk
            decoder.finish()
        except StreamFailedError as exc:
            raise PredictorStreamError(f"predictor {self._host} failed mid-stream: {exc}") from exc
        except (FramingError, httpx.HTTPError) as exc:
            raise PredictorStreamError(
                f"predictor {self._host}: the stream broke off after {decoder.samples} "
                f"samples: {exc}"
            ) from exc
        finally:
            await self._response.aclose()


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


def _raise_for_status(response: httpx.Response, host: str | None) -> None:
    """The error a predictor's non-200 REST answer means."""
    if response.status_code == 400:
        raise PredictorRejectedError(_error_message(response))
    if response.status_code == 429:
        retry = _seconds(response.headers.get("retry-after", "1"))
        raise TooManyRequestsError(_error_message(response), retry)
    raise PredictorUnavailableError(
        f"predictor {host} answered {response.status_code}: {response.text[:200]}"
    )


def _error_message(response: httpx.Response) -> str:
    try:
        return str(response.json()["error"])
    except (ValueError, KeyError, TypeError):
        return response.text[:500]


class PredictorClient:
    """One predictor model, over gRPC (`grpc-v2`) or REST (`v2`).

    Streaming (`synthesize_stream`) is REST only: at `rest_host`, the predictor's HTTP
    `host:port`, which for `v2` is `host` unless given.
    """

    def __init__(
        self,
        host: str,
        model_name: str,
        protocol: str,
        timeout_s: float,
        api_key: str | None = None,
        rest_host: str | None = None,
    ) -> None:
        self.host = host
        self.model_name = model_name
        self.protocol = protocol
        self.timeout_s = timeout_s
        self.rest_host = rest_host or (host if protocol == "v2" else None)
        self._auth = {"authorization": f"Bearer {api_key}"} if api_key else {}
        self._channel: grpc.aio.Channel | None = None
        self._http: httpx.AsyncClient | None = None
        self._ready_until = 0.0
        self._streams: bool | None = None

    def _grpc_stub(self) -> pb_grpc.GRPCInferenceServiceStub:
        if self._channel is None:
            options = [("grpc.max_receive_message_length", MAX_REPLY_BYTES)]
            self._channel = grpc.aio.insecure_channel(self.host, options=options)
        return pb_grpc.GRPCInferenceServiceStub(self._channel)

    def _rest(self) -> httpx.AsyncClient:
        if self.rest_host is None:
            raise PredictorUnavailableError(
                "the predictor's REST host is not known: set --predictor_rest_host"
            )
        if self._http is None:
            host = self.rest_host
            base = host if "://" in host else f"http://{host}"
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

    async def streams(self) -> bool:
        """Whether the predictor's model streams audio before the whole text is said (its
        voices route says `streaming`); False without a REST host. An answer is kept; a
        predictor that cannot be asked yet is asked again next time."""
        if self._streams is not None:
            return self._streams
        if self.rest_host is None:
            return False
        try:
            response = await self._rest().get(
                f"/v2/models/{self.model_name}/voices", timeout=READINESS_TIMEOUT_S
            )
        except httpx.HTTPError:
            return False
        if response.status_code == 200:
            try:
                self._streams = response.json().get("streaming") is True
            except (ValueError, AttributeError):
                self._streams = False
            return self._streams
        if response.status_code == 404:
            # A predictor without the route, or without this model: neither will stream.
            self._streams = False
        return False

    async def synthesize_stream(self, text: str, parameters: dict[str, object]) -> PredictorStream:
        """Start saying `text` on the predictor's streaming route; returns once its first
        audio is made (the predictor answers then), with the sample rate and model version.

        Raises as `synthesize` does before any audio: PredictorRejectedError (a 400),
        TooManyRequestsError (a 429), PredictorUnavailableError (anything else); reading the
        stream raises PredictorStreamError if it breaks off.
        """
        raw = _bytes_tensor([text])
        header = json.dumps(
            {
                "inputs": [
                    {
                        "name": TEXT_INPUT,
                        "shape": [1],
                        "datatype": "BYTES",
                        "parameters": {"binary_data_size": len(raw)},
                    }
                ],
                "parameters": {k: v for k, v in parameters.items() if v is not None},
            }
        ).encode()
        client = self._rest()
        request = client.build_request(
            "POST",
            STREAM_PATH.format(model_name=self.model_name),
            content=header + raw,
            headers={
                "Content-Type": "application/octet-stream",
                "Inference-Header-Content-Length": str(len(header)),
            },
        )
        try:
            response = await client.send(request, stream=True)
        except httpx.HTTPError as exc:
            raise PredictorUnavailableError(
                f"predictor {self.rest_host} did not answer: {exc}"
            ) from exc
        if response.status_code != 200:
            try:
                await response.aread()
            except httpx.HTTPError:
                pass
            finally:
                await response.aclose()
            _raise_for_status(response, self.rest_host)
        try:
            sample_rate = int(response.headers[SAMPLE_RATE_HEADER])
        except (KeyError, ValueError) as exc:
            await response.aclose()
            raise PredictorUnavailableError(
                f"predictor {self.rest_host} streamed without a valid {SAMPLE_RATE_HEADER} header"
            ) from exc
        version = response.headers.get(MODEL_VERSION_HEADER, "")
        return PredictorStream(response, sample_rate, version, str(self.rest_host))

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
        if response.status_code != 200:
            _raise_for_status(response, self.host)
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
