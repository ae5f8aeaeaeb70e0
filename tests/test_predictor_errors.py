"""Bad requests are 400 / INVALID_ARGUMENT with a message that says what is allowed, and they
never take the server down or disturb the next request."""

import grpc
import httpx
import pytest

from tests.audio_fixtures import voice_like_recording
from tests.clients import InferError, infer_binary, infer_grpc, infer_json, infer_triton_grpc


def json_error(server, body: dict) -> tuple[int, str]:
    response = httpx.post(server.infer_url, json=body, timeout=60)
    return response.status_code, response.json().get("error", "")


def text_input(values: list, datatype: str = "BYTES") -> dict:
    return {"name": "text", "shape": [len(values)], "datatype": datatype, "data": values}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {"inputs": [{"name": "speaker_wav", "shape": [0], "datatype": "BYTES", "data": []}]},
            "no 'text' input",
        ),
        ({"inputs": [text_input([])]}, "'text' is empty"),
        ({"inputs": [text_input(["   \n"])]}, "text[0] is empty or only whitespace"),
        ({"inputs": [text_input(["ok", ""])]}, "text[1] is empty"),
        ({"inputs": [text_input([1.0], "FP32")]}, "must be BYTES"),
        ({"inputs": [text_input(["x" * 5001])]}, "at most 5000"),
        (
            {
                "inputs": [
                    text_input(["hi"]),
                    {"name": "pitch", "shape": [1], "datatype": "BYTES", "data": ["x"]},
                ]
            },
            "unknown input 'pitch'",
        ),
        (
            {"inputs": [text_input(["hi"])], "parameters": {"speaker": "carol"}},
            "unknown speaker 'carol'; available: alice, bob",
        ),
        ({"inputs": [text_input(["hi"])], "parameters": {"speaker": 3}}, "must be a string"),
        (
            {"inputs": [text_input(["hi"])], "parameters": {"speed": 9}},
            "'speed' must be from 0.25 to 4",
        ),
        (
            {"inputs": [text_input(["hi"])], "parameters": {"speed": "fast"}},
            "'speed' must be a number from 0.25 to 4",
        ),
        ({"inputs": [text_input(["hi"])], "parameters": {"speed": "nan"}}, "'speed' must be from"),
        ({"inputs": [text_input(["hi"])], "parameters": {"speed": True}}, "must be a number"),
        (
            {
                "inputs": [
                    text_input(["hi"]),
                    {"name": "speaker_wav", "shape": [1], "datatype": "BYTES", "data": ["AAAA"]},
                ]
            },
            "does not clone voices",
        ),
        (
            {"inputs": [{"name": "text", "shape": [3], "datatype": "BYTES", "data": ["a"]}]},
            "does not match its shape",
        ),
    ],
)
def test_bad_json_requests_are_400_saying_what_is_allowed(vits_server, body, message):
    status, error = json_error(vits_server, body)
    assert status == 400, error
    assert message in error


def test_non_utf8_text_is_a_400_naming_the_item(vits_server):
    with pytest.raises(InferError) as over_rest:
        infer_binary(vits_server, [b"fine", b"caf\xe9"])
    assert over_rest.value.status == 400
    assert "text[1] is not valid UTF-8" in over_rest.value.message
    with pytest.raises(InferError) as over_grpc:
        infer_grpc(vits_server, [b"\xff\xfe"])
    assert over_grpc.value.status == grpc.StatusCode.INVALID_ARGUMENT
    assert "text[0] is not valid UTF-8" in over_grpc.value.message


def test_batch_over_the_limit_is_a_400(piper_server):
    with pytest.raises(InferError) as error:
        infer_triton_grpc(piper_server, [b"one"] * 5)
    assert "'text' has 5 items; at most 4" in error.value.message


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        ({"language": "fr"}, "unknown language 'fr'; available: en, bn"),
        ({"speaker": "Nobody"}, "unknown speaker 'Nobody'; available: Ana Florence"),
        ({"temperature": "0"}, "'temperature' must be from 0.01 to 5"),
        ({"top_k": "2.5"}, "'top_k' must be a whole number"),
    ],
)
def test_bad_grpc_parameters_are_invalid_argument(xtts_server, parameters, message):
    with pytest.raises(InferError) as error:
        infer_grpc(xtts_server, [b"hello"], parameters)
    assert error.value.status == grpc.StatusCode.INVALID_ARGUMENT
    assert message in error.value.message


@pytest.mark.parametrize(
    ("reference", "message"),
    [
        (b"RIFF not really a wav file", "speaker_wav[0] does not decode as audio"),
        (b"", "speaker_wav[0] is empty"),
        (voice_like_recording(31.0, sample_rate=8000), "at most 30 s is allowed"),
        (voice_like_recording(0.4), "at least 1 s is needed"),
    ],
)
def test_unusable_reference_audio_is_a_400(xtts_server, reference, message):
    with pytest.raises(InferError) as error:
        infer_grpc(xtts_server, [b"hello"], speaker_wavs=[reference])
    assert error.value.status == grpc.StatusCode.INVALID_ARGUMENT
    assert message in error.value.message


def test_json_reference_must_be_base64(xtts_server):
    body = {
        "inputs": [
            text_input(["hi"]),
            {"name": "speaker_wav", "shape": [1], "datatype": "BYTES", "data": ["not base64!"]},
        ]
    }
    status, error = json_error(xtts_server, body)
    assert status == 400
    assert "base64" in error


def test_too_many_references_is_a_400(xtts_server):
    references = [voice_like_recording(1.0)] * 9
    with pytest.raises(InferError) as error:
        infer_grpc(xtts_server, [b"hello"], speaker_wavs=references)
    assert "at most 8 are allowed" in error.value.message


def test_bad_requests_leave_the_server_serving(vits_server, xtts_server):
    for _ in range(3):
        assert json_error(vits_server, {"inputs": [text_input([""])]})[0] == 400
        with pytest.raises(InferError):
            infer_grpc(xtts_server, [b"hi"], speaker_wavs=[b"garbage"])
    assert infer_json(vits_server, ["still here"]).lengths[0] > 0
    assert infer_grpc(xtts_server, [b"still here"]).lengths[0] > 0
    assert httpx.get(f"{vits_server.http_url}/v2/health/live").status_code == 200
