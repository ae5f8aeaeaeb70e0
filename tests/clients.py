"""Calling a predictor the ways users do: JSON, binary REST, raw gRPC and tritonclient.

The raw gRPC client uses tritonclient's copy of the V2 protos: KServe's copy declares the same
proto package, and the two cannot be imported into one process.
"""

import base64
import json
import struct
from dataclasses import dataclass

import grpc
import httpx
import numpy as np
import tritonclient.grpc as triton_grpc
import tritonclient.http as triton_http
from tritonclient.grpc import service_pb2 as pb
from tritonclient.grpc import service_pb2_grpc as pb_grpc

from tests.servers import PredictorServer


@dataclass
class Speech:
    """What a predictor answered."""

    audio: np.ndarray
    lengths: np.ndarray
    parameters: dict

    def items(self) -> list[np.ndarray]:
        return [self.audio[row, : int(n)] for row, n in enumerate(self.lengths)]


class InferError(Exception):
    def __init__(self, status: object, message: str) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message


def _json_input(name: str, values: list) -> dict:
    return {"name": name, "shape": [len(values)], "datatype": "BYTES", "data": values}


def infer_json(
    server: PredictorServer,
    texts: list,
    parameters: dict | None = None,
    speaker_wavs: list[bytes] = (),
) -> Speech:
    """V2 REST with JSON tensors; recordings go base64-encoded."""
    inputs = [_json_input("text", texts)]
    if speaker_wavs:
        inputs.append(
            _json_input("speaker_wav", [base64.b64encode(w).decode() for w in speaker_wavs])
        )
    body = {"inputs": inputs, "parameters": parameters or {}}
    response = httpx.post(server.infer_url, json=body, timeout=120)
    if response.status_code != 200:
        raise InferError(response.status_code, response.json()["error"])
    payload = response.json()
    outputs = {o["name"]: o for o in payload["outputs"]}
    audio = np.asarray(outputs["audio"]["data"], dtype=np.float32).reshape(
        outputs["audio"]["shape"]
    )
    lengths = np.asarray(outputs["audio_length"]["data"], dtype=np.int32)
    parameters = dict(payload["parameters"], header_version=response.headers.get("x-model-version"))
    return Speech(audio, lengths, parameters)


def _bytes_tensor(values: list[bytes]) -> bytes:
    return b"".join(struct.pack("<I", len(v)) + v for v in values)


def infer_binary(
    server: PredictorServer,
    texts: list[bytes],
    parameters: dict | None = None,
    speaker_wavs: list[bytes] = (),
) -> Speech:
    """V2 REST with the binary tensor extension, built by hand."""
    tensors = [("text", list(texts))]
    if speaker_wavs:
        tensors.append(("speaker_wav", list(speaker_wavs)))
    raws = [_bytes_tensor(values) for _, values in tensors]
    header = {
        "inputs": [
            {
                "name": name,
                "shape": [len(values)],
                "datatype": "BYTES",
                "parameters": {"binary_data_size": len(raw)},
            }
            for (name, values), raw in zip(tensors, raws, strict=True)
        ],
        "outputs": [
            {"name": "audio", "parameters": {"binary_data": True}},
            {"name": "audio_length", "parameters": {"binary_data": True}},
        ],
        "parameters": parameters or {},
    }
    head = json.dumps(header).encode()
    response = httpx.post(
        server.infer_url,
        content=head + b"".join(raws),
        headers={
            "Content-Type": "application/octet-stream",
            "Inference-Header-Content-Length": str(len(head)),
        },
        timeout=120,
    )
    if response.status_code != 200:
        raise InferError(response.status_code, response.json()["error"])
    json_length = int(response.headers["inference-header-content-length"])
    payload = json.loads(response.content[:json_length])
    offset = json_length
    arrays = {}
    for output in payload["outputs"]:
        size = output["parameters"]["binary_data_size"]
        dtype = np.float32 if output["datatype"] == "FP32" else np.int32
        arrays[output["name"]] = np.frombuffer(
            response.content[offset : offset + size], dtype=dtype
        ).reshape(output["shape"])
        offset += size
    return Speech(arrays["audio"], arrays["audio_length"], payload["parameters"])


def _grpc_parameters(parameters: dict | None) -> dict:
    converted = {}
    for key, value in (parameters or {}).items():
        if isinstance(value, bool):
            converted[key] = pb.InferParameter(bool_param=value)
        elif isinstance(value, int):
            converted[key] = pb.InferParameter(int64_param=value)
        else:
            converted[key] = pb.InferParameter(string_param=str(value))
    return converted


def _grpc_bytes_input(name: str, values: list[bytes]) -> object:
    return pb.ModelInferRequest.InferInputTensor(
        name=name,
        datatype="BYTES",
        shape=[len(values)],
        contents=pb.InferTensorContents(bytes_contents=list(values)),
    )


def infer_grpc(
    server: PredictorServer,
    texts: list[bytes],
    parameters: dict | None = None,
    speaker_wavs: list[bytes] = (),
) -> Speech:
    """V2 gRPC with typed contents (bytes_contents) rather than raw_input_contents."""
    inputs = [_grpc_bytes_input("text", texts)]
    if speaker_wavs:
        inputs.append(_grpc_bytes_input("speaker_wav", speaker_wavs))
    request = pb.ModelInferRequest(
        model_name=server.name, inputs=inputs, parameters=_grpc_parameters(parameters)
    )
    with grpc.insecure_channel(server.grpc_url) as channel:
        try:
            response = pb_grpc.GRPCInferenceServiceStub(channel).ModelInfer(request, timeout=120)
        except grpc.RpcError as exc:
            raise InferError(exc.code(), exc.details()) from exc
    outputs = {
        o.name: (o, raw)
        for o, raw in zip(response.outputs, response.raw_output_contents, strict=True)
    }
    audio_meta, audio_raw = outputs["audio"]
    length_meta, length_raw = outputs["audio_length"]
    parameters = {}
    for key, value in response.parameters.items():
        parameters[key] = value.int64_param if value.HasField("int64_param") else value.string_param
    return Speech(
        np.frombuffer(audio_raw, dtype=np.float32).reshape(list(audio_meta.shape)),
        np.frombuffer(length_raw, dtype=np.int32).reshape(list(length_meta.shape)),
        parameters,
    )


def _triton_inputs(module: object, texts: list[bytes], speaker_wavs: list[bytes]) -> list:
    inputs = []
    for name, values in (("text", texts), ("speaker_wav", speaker_wavs)):
        if not values:
            continue
        tensor = module.InferInput(name, [len(values)], "BYTES")
        tensor.set_data_from_numpy(np.array(values, dtype=np.object_))
        inputs.append(tensor)
    return inputs


def infer_triton_http(
    server: PredictorServer,
    texts: list[bytes],
    parameters: dict | None = None,
    speaker_wavs: list[bytes] = (),
) -> Speech:
    """tritonclient over HTTP, binary tensors both ways."""
    client = triton_http.InferenceServerClient(f"127.0.0.1:{server.http_port}", network_timeout=120)
    outputs = [
        triton_http.InferRequestedOutput("audio", binary_data=True),
        triton_http.InferRequestedOutput("audio_length", binary_data=True),
    ]
    try:
        result = client.infer(
            server.name,
            _triton_inputs(triton_http, texts, speaker_wavs),
            outputs=outputs,
            parameters=parameters,
        )
    except Exception as exc:
        raise InferError(getattr(exc, "status", lambda: None)(), str(exc)) from exc
    finally:
        client.close()
    return Speech(
        result.as_numpy("audio"),
        result.as_numpy("audio_length"),
        result.get_response()["parameters"],
    )


def infer_triton_grpc(
    server: PredictorServer,
    texts: list[bytes],
    parameters: dict | None = None,
    speaker_wavs: list[bytes] = (),
) -> Speech:
    """tritonclient over gRPC (raw_input_contents)."""
    client = triton_grpc.InferenceServerClient(server.grpc_url)
    try:
        result = client.infer(
            server.name,
            _triton_inputs(triton_grpc, texts, speaker_wavs),
            parameters=parameters,
            client_timeout=120,
        )
    except Exception as exc:
        raise InferError(getattr(exc, "status", lambda: None)(), str(exc)) from exc
    finally:
        client.close()
    response = result.get_response(as_json=True)
    parameters = {k: next(iter(v.values())) for k, v in response.get("parameters", {}).items()}
    return Speech(result.as_numpy("audio"), result.as_numpy("audio_length"), parameters)


CLIENTS = {
    "json": infer_json,
    "binary": infer_binary,
    "grpc": infer_grpc,
    "triton-http": infer_triton_http,
    "triton-grpc": infer_triton_grpc,
}
"""Every client takes texts as bytes (the JSON one decodes them)."""


def call(client: str, server: PredictorServer, texts: list[bytes], **kwargs: object) -> Speech:
    if client == "json":
        return infer_json(server, [t.decode() for t in texts], **kwargs)
    return CLIENTS[client](server, texts, **kwargs)
