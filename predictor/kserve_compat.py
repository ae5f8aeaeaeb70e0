"""Workarounds for KServe 0.21 behaviour that breaks the predictor's contract.

Each is applied once, at start-up, by `apply()`.
"""

import orjson
from kserve import InferInput, InferRequest
from kserve.errors import InvalidInput
from kserve.protocol.infer_type import RequestedOutput


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
        if not isinstance(item, dict) or not {"name", "shape", "datatype"} <= item.keys():
            raise InvalidInput("each input needs 'name', 'shape' and 'datatype'")
        parameters = item.get("parameters") or {}
        infer_input = InferInput(
            name=item["name"],
            shape=item["shape"],
            datatype=item["datatype"],
            parameters=parameters or None,
        )
        if item.get("data") is not None:
            infer_input.data = item["data"]
        elif isinstance(parameters.get("binary_data_size"), int):
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


def apply() -> None:
    """Install the workarounds."""
    InferRequest.from_bytes = classmethod(_from_bytes_keeping_raw_inputs)
