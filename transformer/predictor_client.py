"""Calling the predictor over V2 with binary tensors: gRPC, or REST with the binary extension;
and over its REST streaming route, one text's audio as it is made.

Never FP32 lists in JSON: a second of 24 kHz audio is 24 k numbers.
"""

import json
import logging
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

from transformer.predictor_errors import (
    PredictorRejectedError,
    PredictorStreamError,
    PredictorUnavailableError,
)
from voxraga import word_times as word_times_format
from voxraga.contract import (
    AUDIO_LENGTH_OUTPUT,
    AUDIO_OUTPUT,
    MIB,
    MODEL_VERSION_HEADER,
    MODEL_VERSION_PARAMETER,
    SAMPLE_RATE_PARAMETER,
    SPEAKER_WAV_INPUT,
    TEXT_INPUT,
    WORD_TIMES_OUTPUT,
    WORD_TIMES_PARAMETER,
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
VOICES_RETRY_S = 5.0
"""After the voices route gave no answer, requests go on without the catalog this long before
it is asked again."""

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PredictorAudio:
    """What the predictor said for a batch of texts."""

    items: list[np.ndarray]
    """Float32 PCM of each text, unpadded."""
    sample_rate: int
    model_version: str
    word_times: list[word_times_format.WordTimes] | None = None
    """Where asked for (`synthesize(..., word_times=True)`) and the model has durations (a
    VITS on PyTorch, a Piper voice): for each text, when each of its words is heard, on that
    item's own timeline (from its first sample, leading silence included; at its speed).
    None otherwise: estimate them."""


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
        if isinstance(value, bool):
            converted[key] = pb.InferParameter(bool_param=value)
        else:
            # gRPC parameters have no float: the predictor accepts numbers as strings.
            converted[key] = pb.InferParameter(string_param=str(value))
    return converted


def _bytes_tensor(items: list[str] | tuple[bytes, ...]) -> bytes:
    """V2's binary BYTES layout: each element as a 4-byte little-endian length, then its bytes
    (UTF-8 for text)."""
    encoded = [item.encode() if isinstance(item, str) else item for item in items]
    return b"".join(struct.pack("<I", len(item)) + item for item in encoded)


def _json_inputs(texts: list[str], references: tuple[bytes, ...]) -> tuple[list[dict], bytes]:
    """The V2 REST inputs (binary extension) for `texts` and reference recordings, and their
    raw bytes in order."""
    tensors = [(TEXT_INPUT, _bytes_tensor(texts), len(texts))]
    if references:
        tensors.append((SPEAKER_WAV_INPUT, _bytes_tensor(references), len(references)))
    inputs = [
        {
            "name": name,
            "shape": [count],
            "datatype": "BYTES",
            "parameters": {"binary_data_size": len(raw)},
        }
        for name, raw, count in tensors
    ]
    return inputs, b"".join(raw for _, raw, _ in tensors)


def _predictor_audio(
    raws: dict[str, bytes],
    shapes: dict[str, list[int]],
    texts: list[str],
    sample_rate: int,
    model_version: str,
) -> PredictorAudio:
    """The answer from its outputs' raw bytes and shapes, by name."""
    audio = np.frombuffer(raws[AUDIO_OUTPUT], dtype=np.float32).reshape(shapes[AUDIO_OUTPUT])
    lengths = np.frombuffer(raws[AUDIO_LENGTH_OUTPUT], dtype=np.int32)
    return PredictorAudio(
        [audio[row, : int(length)].copy() for row, length in enumerate(lengths)],
        sample_rate,
        model_version,
        _word_times(raws.get(WORD_TIMES_OUTPUT), texts),
    )


def _word_times(raw: bytes | None, texts: list[str]) -> list[word_times_format.WordTimes] | None:
    """The `word_times` output; None where the predictor sent none, or times that are not one
    pair for each word of each text (then the caller estimates them, as it would with none)."""
    if raw is None:
        return None
    try:
        return word_times_format.decode(word_times_format.bytes_elements(raw), texts)
    except ValueError as exc:
        logger.warning("Ignoring the predictor's word_times: %s", exc)
        return None


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
        self._voices: dict | None = None
        self._voices_retry_at = 0.0

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

    async def voices(self) -> dict | None:
        """The model's catalog from the predictor's voices route (speakers, languages, whether
        it clones, blends and streams); None without a REST host or while it cannot be asked.
        A model's catalog does not change while it is served: the first answer is kept."""
        if self._voices is not None or self.rest_host is None:
            return self._voices
        if time.monotonic() < self._voices_retry_at:
            return None  # asked a moment ago and got no answer: requests do not wait on it
        try:
            response = await self._rest().get(
                f"/v2/models/{self.model_name}/voices", timeout=READINESS_TIMEOUT_S
            )
            catalog = response.json() if response.status_code == 200 else None
        except (httpx.HTTPError, ValueError):
            self._voices_retry_at = time.monotonic() + VOICES_RETRY_S
            return None
        if isinstance(catalog, dict):
            self._voices = catalog
        elif response.status_code == 404:
            # A predictor without the route, or without this model: an empty catalog.
            self._voices = {}
        else:
            self._voices_retry_at = time.monotonic() + VOICES_RETRY_S
        return self._voices

    async def streams(self) -> bool:
        """Whether the predictor's model streams audio before the whole text is said (its
        voices route says `streaming`); False without a REST host."""
        catalog = await self.voices()
        return bool(catalog and catalog.get("streaming") is True)

    async def synthesize_stream(
        self, text: str, parameters: dict[str, object], references: tuple[bytes, ...] = ()
    ) -> PredictorStream:
        """Start saying `text` on the predictor's streaming route; returns once its first
        audio is made (the predictor answers then), with the sample rate and model version.

        Raises as `synthesize` does before any audio: PredictorRejectedError (a 400),
        TooManyRequestsError (a 429), PredictorUnavailableError (anything else); reading the
        stream raises PredictorStreamError if it breaks off.
        """
        inputs, raw = _json_inputs([text], references)
        header = json.dumps(
            {
                "inputs": inputs,
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

    async def synthesize(
        self,
        texts: list[str],
        parameters: dict[str, object],
        references: tuple[bytes, ...] = (),
        word_times: bool = False,
    ) -> PredictorAudio:
        """Say `texts` in one predictor request, in a voice cloned from `references` (encoded
        recordings, the `speaker_wav` input) if any; with `word_times`, ask for each word's
        time too (`PredictorAudio.word_times`, None where the model has no durations).

        Raises PredictorUnavailableError (unreachable, not ready) or PredictorRejectedError (a 400).
        """
        if word_times:
            parameters = {**parameters, WORD_TIMES_PARAMETER: True}
        if self.protocol == "grpc-v2":
            return await self._infer_grpc(texts, parameters, references)
        return await self._infer_rest(texts, parameters, references, word_times)

    async def _infer_grpc(
        self, texts: list[str], parameters: dict[str, object], references: tuple[bytes, ...]
    ) -> PredictorAudio:
        tensors = [(TEXT_INPUT, list(texts))]
        if references:
            tensors.append((SPEAKER_WAV_INPUT, list(references)))
        request = pb.ModelInferRequest(
            model_name=self.model_name,
            inputs=[
                pb.ModelInferRequest.InferInputTensor(
                    name=name, datatype="BYTES", shape=[len(items)]
                )
                for name, items in tensors
            ],
            raw_input_contents=[_bytes_tensor(items) for _, items in tensors],
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
        raws = dict(
            zip((o.name for o in response.outputs), response.raw_output_contents, strict=True)
        )
        shapes = {o.name: list(o.shape) for o in response.outputs}
        params = response.parameters
        return _predictor_audio(
            raws,
            shapes,
            texts,
            int(params[SAMPLE_RATE_PARAMETER].int64_param),
            params[MODEL_VERSION_PARAMETER].string_param,
        )

    async def _infer_rest(
        self,
        texts: list[str],
        parameters: dict[str, object],
        references: tuple[bytes, ...],
        word_times: bool,
    ) -> PredictorAudio:
        inputs, raw = _json_inputs(texts, references)
        # The predictor leaves `word_times` out where the model has no durations.
        wanted = [AUDIO_OUTPUT, AUDIO_LENGTH_OUTPUT] + ([WORD_TIMES_OUTPUT] if word_times else [])
        header = json.dumps(
            {
                "inputs": inputs,
                "outputs": [{"name": name, "parameters": {"binary_data": True}} for name in wanted],
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
        offset, raws, shapes = json_length, {}, {}
        for output in payload["outputs"]:
            size = output["parameters"]["binary_data_size"]
            raws[output["name"]] = response.content[offset : offset + size]
            shapes[output["name"]] = output["shape"]
            offset += size
        return _predictor_audio(
            raws,
            shapes,
            texts,
            int(payload["parameters"][SAMPLE_RATE_PARAMETER]),
            str(payload["parameters"][MODEL_VERSION_PARAMETER]),
        )
