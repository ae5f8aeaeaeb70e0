"""Workarounds for KServe 0.21 behaviour that breaks the servers' contracts.

Each is applied once, at start-up, by `apply()`.
"""

import orjson
from kserve import InferInput, InferRequest
from kserve.constants.constants import INFERENCE_CONTENT_LENGTH_HEADER
from kserve.errors import InvalidInput
from kserve.protocol.dataplane import DataPlane
from kserve.protocol.infer_type import RequestedOutput

_decode_inference_request = DataPlane.decode_inference_request


def _decode_checking_header_length(
    self: DataPlane, body: object, headers: dict, model_name: str
) -> InferRequest:
    """DataPlane.decode_inference_request, but a lying Inference-Header-Content-Length is a 400.

    KServe reads the header with a bare int(): "abc" or a length past the body was a 500.
    """
    if isinstance(body, bytes):
        declared = headers.get(INFERENCE_CONTENT_LENGTH_HEADER)
        if declared is not None and (
            not _is_ascii_number(declared) or not 0 < int(declared) <= len(body)
        ):
            raise InvalidInput(
                f"{INFERENCE_CONTENT_LENGTH_HEADER} is {declared[:40]!r}; it must be the length "
                f"of the JSON header, from 1 to the body's {len(body)} bytes"
            )
    return _decode_inference_request(self, body, headers, model_name)


def _from_bytes_keeping_raw_inputs(
    cls: type[InferRequest], req_bytes: bytes, json_length: int, model_name: str
) -> InferRequest:
    """InferRequest.from_bytes, but binary inputs keep their raw bytes.

    KServe 0.21 turns every binary input back into JSON data, which UTF-8-decodes BYTES
    elements: reference audio over REST's binary extension fails with a 500, and so does text
    that is not UTF-8, which must be a 400 naming the item. The predictor reads raw bytes
    through InferInput.as_numpy(), as it does for gRPC.
    """
    try:
        header = orjson.loads(req_bytes[:json_length])
    except orjson.JSONDecodeError as exc:
        raise InvalidInput(f"Unrecognized request format: {exc}") from exc
    if not isinstance(header, dict) or not isinstance(header.get("inputs"), list):
        raise InvalidInput("the request header must be a JSON object with an 'inputs' list")
    inputs = []
    offset = json_length
    for item in header["inputs"]:
        _check_input_header(item)
        parameters = item.get("parameters") or {}
        infer_input = InferInput(
            name=item["name"],
            shape=item["shape"],
            datatype=item["datatype"],
            parameters=parameters or None,
        )
        if item.get("data") is not None:
            infer_input.data = item["data"]
        elif _is_size(parameters.get("binary_data_size")):
            end = offset + parameters["binary_data_size"]
            if end > len(req_bytes):
                raise InvalidInput(
                    f"input '{item['name']}' declares binary_data_size "
                    f"{parameters['binary_data_size']}, past the end of the request body"
                )
            infer_input._raw_data = req_bytes[offset:end]
            offset = end
        else:
            raise InvalidInput(
                f"input '{item['name']}' has neither 'data' nor a 'binary_data_size' parameter"
            )
        inputs.append(infer_input)
    outputs = header.get("outputs")
    if outputs is not None and not (
        isinstance(outputs, list)
        and all(isinstance(o, dict) and isinstance(o.get("name"), str) for o in outputs)
        and all(isinstance(o.get("parameters") or {}, dict) for o in outputs)
    ):
        raise InvalidInput("'outputs' must be a list of objects, each with a string 'name'")
    if not isinstance(header.get("parameters") or {}, dict):
        raise InvalidInput("'parameters' must be a JSON object")
    if not isinstance(header.get("id") or "", str):
        raise InvalidInput("'id' must be a string")
    return cls(
        model_name=model_name,
        request_id=header.get("id"),
        parameters=header.get("parameters"),
        infer_inputs=inputs,
        request_outputs=[
            RequestedOutput(name=output["name"], parameters=output.get("parameters"))
            for output in outputs
        ]
        if outputs
        else None,
    )


def _is_ascii_number(text: str) -> bool:
    # str.isdigit() admits "²", which int() refuses.
    text = text.strip()
    return text.isascii() and text.isdigit()


def _is_size(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _check_input_header(item: object) -> None:
    if not isinstance(item, dict) or not {"name", "shape", "datatype"} <= item.keys():
        raise InvalidInput("each input needs 'name', 'shape' and 'datatype'")
    name = item["name"]
    if not isinstance(name, str) or not isinstance(item["datatype"], str):
        raise InvalidInput("an input's 'name' and 'datatype' must be strings")
    shape = item["shape"]
    if not isinstance(shape, list) or not all(_is_size(n) for n in shape):
        raise InvalidInput(f"input '{name[:64]}' has shape {shape!r:.80}; a shape lists sizes")
    if not isinstance(item.get("parameters") or {}, dict):
        raise InvalidInput(f"input '{name[:64]}' has 'parameters' that are not a JSON object")


def answers_in_binary(request: InferRequest, output_name: str) -> bool:
    """Whether the response to `request` carries `output_name` as raw bytes: gRPC always, REST
    when the client asked for binary outputs (all of them, or this one)."""
    return (
        request.from_grpc
        or bool(request.use_binary_outputs)
        or any(o.name == output_name and o.binary_data for o in request.request_outputs or [])
    )


def apply() -> None:
    """Install the workarounds."""
    InferRequest.from_bytes = classmethod(_from_bytes_keeping_raw_inputs)
    DataPlane.decode_inference_request = _decode_checking_header_length
