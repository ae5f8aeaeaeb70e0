"""Hostile clients against the real servers: each input gets a quick 4xx, and the server serves
the next normal request as before."""

import json
import time
from collections.abc import Iterator
from pathlib import Path

import grpc
import httpx
import openai
import psutil
import pytest
from tritonclient.grpc import service_pb2 as pb
from tritonclient.grpc import service_pb2_grpc as pb_grpc
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect as ws_connect

from tests.clients import InferError, infer_binary, infer_json
from tests.servers import PredictorServer, start_predictor, start_transformer

QUICK_S = 5.0
"""A refusal is answered well within this; the work it refuses would take far longer."""
API_KEY = "test-key-0123456789"


def speech(server: PredictorServer, timeout: float = 120, **body: object) -> httpx.Response:
    return httpx.post(f"{server.http_url}/v1/audio/speech", json=body, timeout=timeout)


def v2(server: PredictorServer, text: object, **parameters: object) -> httpx.Response:
    body = {
        "inputs": [{"name": "text", "shape": [1], "datatype": "BYTES", "data": [text]}],
        "parameters": parameters,
    }
    return httpx.post(f"{server.http_url}/v2/models/{server.name}/infer", json=body, timeout=120)


def assert_still_serves(transformer: PredictorServer) -> None:
    response = speech(transformer, input="Still here.", response_format="wav")
    assert response.status_code == 200, response.text
    assert len(response.content) > 10000


def timed(call: object, *args: object, **kwargs: object) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    response = call(*args, **kwargs)
    return response, time.monotonic() - started


def nested(depth: int) -> str:
    return "<speak>" + "<s>" * depth + "deep" + "</s>" * depth + "</speak>"


BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE speak [<!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">'
    '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">'
    '<!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]><speak>&d;&d;&d;&d;</speak>'
)

HOSTILE_SPEECH_BODIES = {
    "internal DTD entities": ({"input": BILLION_LAUGHS}, "DOCTYPE"),
    "breaks over the pause budget": (
        {"input": "<speak>" + 'Hi.<break time="10s"/>' * 525 + "</speak>"},
        "--max_pause_seconds",
    ),
    "SSML nested thousands deep": ({"input": nested(5000)}, "nested"),
    "voice as a list": ({"input": "Hi.", "voice": ["a", "b"]}, "'voice'"),
    "voice as an object": ({"input": "Hi.", "voice": {"id": 1}}, "'voice'"),
    "input as a number": ({"input": 42}, "'input'"),
    "input missing": ({"voice": "alloy"}, "'input'"),
    "a lone surrogate": ({"input": "Hi \ud800 there."}, "surrogate"),
    "speed of hundreds of digits": ({"input": "Hi.", "speed": 10**300}, "'speed'"),
    "unknown field": ({"input": "Hi.", "volume": 11}, "'volume'"),
    "unknown format": ({"input": "Hi.", "response_format": "midi"}, "'response_format'"),
    "too much audio at a slow speed": ({"input": "word " * 1900, "speed": 0.25}, "seconds"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE_SPEECH_BODIES))
def test_hostile_speech_bodies_are_quick_400s(joe_transformer, case):
    body, fragment = HOSTILE_SPEECH_BODIES[case]
    # json.dumps writes the lone surrogate as \ud800, as a client would send it.
    response, elapsed = timed(
        httpx.post,
        f"{joe_transformer.http_url}/v1/audio/speech",
        content=json.dumps(body),
        headers={"Content-Type": "application/json"},
        timeout=60,
    )
    assert response.status_code == 400, response.text[:300]
    assert elapsed < QUICK_S
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error"
    assert fragment in error["message"]
    assert_still_serves(joe_transformer)


@pytest.mark.parametrize(
    "raw",
    [
        b"[" * 100000 + b"]" * 100000,
        b'{"input": ' + b"[" * 5000 + b"]" * 5000 + b"}",
        b"not json at all",
        b'{"input": "\x00\xff\xfe"}',
        b'{"input": "Hi.", "sample_rate": 1' + b"0" * 5000 + b"}",
    ],
    ids=["deep array", "deep field", "not json", "bad utf-8", "an integer of 5,000 digits"],
)
def test_malformed_json_is_a_400(joe_transformer, raw):
    response = httpx.post(
        f"{joe_transformer.http_url}/v1/audio/speech",
        content=raw,
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400, response.text[:300]
    assert_still_serves(joe_transformer)


def test_nul_bytes_and_huge_numbers_are_spoken(joe_transformer):
    for text in ("Null\x00byte here.", "9" * 400 + " apples.", "৯" * 100):
        response = speech(joe_transformer, input=text, response_format="wav", language="en")
        assert response.status_code == 200, (text[:20], response.text)


@pytest.mark.parametrize(
    ("text", "parameters", "fragment"),
    [
        (["a", "b"], {}, "text"),
        ("Hi.", {"voice": 7}, "'voice'"),
        ("Hi.", {"speed": "1e400"}, "'speed'"),
        (BILLION_LAUGHS, {}, "DOCTYPE"),
        (nested(5000), {}, "nested"),
    ],
    ids=["two texts", "voice not a string", "speed overflow", "DTD", "deep SSML"],
)
def test_hostile_v2_requests_to_the_transformer_are_400s(
    joe_transformer, text, parameters, fragment
):
    body = {
        "inputs": [
            {
                "name": "text",
                "shape": [len(text)] if isinstance(text, list) else [1],
                "datatype": "BYTES",
                "data": text if isinstance(text, list) else [text],
            }
        ],
        "parameters": parameters,
    }
    response, elapsed = timed(
        httpx.post,
        f"{joe_transformer.http_url}/v2/models/{joe_transformer.name}/infer",
        json=body,
        timeout=60,
    )
    assert response.status_code == 400, response.text[:300]
    assert fragment in response.json()["error"]
    assert elapsed < QUICK_S


@pytest.mark.parametrize("server_name", ["piper_server", "joe_transformer"])
@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"inputs": [{"name": "text", "shape": [1], "datatype": "FP32", "data": [1.0]}]}, "BYTES"),
        ({"inputs": [{"name": "text", "shape": [7], "datatype": "BYTES", "data": ["a"]}]}, ""),
        ({"inputs": [{"name": "text", "shape": "x", "datatype": "BYTES", "data": ["a"]}]}, ""),
        ({"inputs": "nope"}, ""),
        (json.loads("[" * 900 + "]" * 900), ""),
        ("[" * 5000 + "]" * 5000, ""),
    ],
    ids=[
        "wrong datatype",
        "wrong shape",
        "shape not a list",
        "inputs not a list",
        "deep",
        "deeper than Python reads",
    ],
)
def test_malformed_v2_json_is_a_400(request, server_name, body, fragment):
    server = request.getfixturevalue(server_name)
    raw = body if isinstance(body, str) else json.dumps(body)
    response = httpx.post(
        f"{server.http_url}/v2/models/{server.name}/infer",
        content=raw,
        headers={"Content-Type": "application/json"},
        timeout=30,
    )
    assert response.status_code == 400, response.text[:300]
    assert fragment in response.json()["error"]


def binary_header(binary_data_size: int) -> bytes:
    """The JSON header of a binary-extension request with one `text` input."""
    tensor = {"name": "text", "shape": [1], "datatype": "BYTES"}
    tensor["parameters"] = {"binary_data_size": binary_data_size}
    return json.dumps({"inputs": [tensor]}).encode()


@pytest.mark.parametrize("server_name", ["piper_server", "joe_transformer"])
@pytest.mark.parametrize("declared", ["abc", "-5", "999999", "0", "\xb2"])
def test_a_binary_header_that_lies_about_its_length_is_a_400(request, server_name, declared):
    server = request.getfixturevalue(server_name)
    header = binary_header(binary_data_size=7)
    response = httpx.post(
        f"{server.http_url}/v2/models/{server.name}/infer",
        content=header + b"\x03\x00\x00\x00Hi.",
        headers={
            "Content-Type": "application/octet-stream",
            "Inference-Header-Content-Length": declared.encode("latin-1"),
        },
    )
    assert response.status_code == 400, response.text[:300]


@pytest.mark.parametrize("server_name", ["piper_server", "joe_transformer"])
def test_binary_data_size_past_the_body_is_a_400(request, server_name):
    server = request.getfixturevalue(server_name)
    header = binary_header(binary_data_size=10**12)
    response = httpx.post(
        f"{server.http_url}/v2/models/{server.name}/infer",
        content=header + b"\x03\x00\x00\x00Hi.",
        headers={
            "Content-Type": "application/octet-stream",
            "Inference-Header-Content-Length": str(len(header)),
        },
    )
    assert response.status_code == 400, response.text[:300]


def test_v1_protocol_routes_are_gone(piper_server, joe_transformer):
    for server in (piper_server, joe_transformer):
        response = httpx.post(
            f"{server.http_url}/v1/models/{server.name}:predict", json={"instances": [1]}
        )
        assert response.status_code == 404, response.text


def test_speech_bodies_over_a_mebibyte_are_413_before_parsing(joe_transformer):
    big = b'{"input": "' + b"a" * (2 * 1024 * 1024) + b'"}'
    response, elapsed = timed(
        httpx.post,
        f"{joe_transformer.http_url}/v1/audio/speech",
        content=big,
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert "at most 1048576 bytes" in response.json()["error"]["message"]
    assert elapsed < QUICK_S


def test_a_streamed_body_without_content_length_is_counted(joe_transformer):
    def chunks() -> Iterator[bytes]:
        yield b'{"input": "'
        for _ in range(40):
            yield b"a" * 65536
        yield b'"}'

    response = httpx.post(
        f"{joe_transformer.http_url}/v1/audio/speech",
        content=chunks(),
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert_still_serves(joe_transformer)


def test_voice_uploads_have_their_own_larger_limit(joe_transformer):
    url = f"{joe_transformer.http_url}/v1/audio/voices"
    over = httpx.post(url, content=b"x" * (11 * 1024 * 1024), timeout=60)
    assert over.status_code == 413
    assert "at most 10485760 bytes" in over.json()["error"]["message"]
    # Two MiB is over the speech routes' limit but within the upload limit.
    assert httpx.post(url, content=b"x" * (2 * 1024 * 1024), timeout=60).status_code != 413


def test_a_finished_stream_is_not_taken_for_a_client_that_left(joe_transformer):
    marker = "Streams end cleanly."
    with httpx.stream(
        "POST",
        f"{joe_transformer.http_url}/v1/audio/speech",
        json={"input": marker + " Twice over.", "response_format": "pcm", "stream_format": "audio"},
        timeout=60,
    ) as response:
        assert response.status_code == 200
        assert len(response.read()) > 1000
    time.sleep(0.5)
    assert " 499: " not in joe_transformer.log()


def test_predictor_bodies_over_its_limit_are_413(piper_server):
    response = httpx.post(
        piper_server.infer_url,
        content=b"x" * (40 * 1024 * 1024),
        headers={"Content-Type": "application/json"},
        timeout=60,
    )
    assert response.status_code == 413
    assert infer_json(piper_server, ["Fine."]).lengths[0] > 0


def test_predictor_grpc_messages_over_its_limit_are_resource_exhausted(piper_server):
    request = pb.ModelInferRequest(
        model_name=piper_server.name,
        inputs=[pb.ModelInferRequest.InferInputTensor(name="text", datatype="BYTES", shape=[1])],
        raw_input_contents=[b"x" * (40 * 1024 * 1024)],
    )
    with (
        grpc.insecure_channel(piper_server.grpc_url) as channel,
        pytest.raises(grpc.RpcError) as caught,
    ):
        pb_grpc.GRPCInferenceServiceStub(channel).ModelInfer(request, timeout=60)
    assert caught.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert infer_json(piper_server, ["Fine."]).lengths[0] > 0


def test_a_response_over_the_bound_is_refused_and_binary_outputs_fit(vits_dir, log_dir):
    # The tiny VITS says this text in about 97,000 samples: 390 KB binary, 1.2 MB as JSON.
    predictor = start_predictor(vits_dir, "bounded", log_dir, "--max_response_bytes", "1000000")
    try:
        text = "a long enough sentence for this bound here"
        with pytest.raises(InferError) as caught:
            infer_json(predictor, [text])
        assert caught.value.status == 400
        assert "binary" in caught.value.message and "1000000" in caught.value.message
        assert infer_binary(predictor, [text.encode()]).lengths[0] > 40000
        with pytest.raises(InferError) as caught:
            infer_binary(predictor, [text.encode()] * 3)
        assert "fewer or shorter texts" in caught.value.message
    finally:
        predictor.stop()


def test_the_model_repository_routes_are_off(piper_server, joe_transformer):
    for server in (piper_server, joe_transformer):
        for action in ("load", "unload"):
            response = httpx.post(f"{server.http_url}/v2/repository/models/{server.name}/{action}")
            assert response.status_code == 404
        with (
            grpc.insecure_channel(server.grpc_url) as channel,
            pytest.raises(grpc.RpcError) as caught,
        ):
            pb_grpc.GRPCInferenceServiceStub(channel).RepositoryModelUnload(
                pb.RepositoryModelUnloadRequest(model_name=server.name), timeout=10
            )
        assert caught.value.code() == grpc.StatusCode.UNIMPLEMENTED
        assert "--enable_model_repository" in caught.value.details()
        assert httpx.get(f"{server.http_url}/v2/models/{server.name}/ready").status_code == 200


def test_a_400_logs_one_line_and_no_traceback(joe_transformer, piper_server):
    marker = "voice-that-does-not-exist-xyz"
    speech(joe_transformer, input="Hi.", voice=marker)
    infer_json_error = httpx.post(
        piper_server.infer_url,
        json={"inputs": [{"name": "text", "shape": [1], "datatype": "FP32", "data": [1.0]}]},
    )
    assert infer_json_error.status_code == 400
    time.sleep(0.5)
    for server in (joe_transformer, piper_server):
        log = server.log()
        assert "Traceback" not in log
    lines = [line for line in joe_transformer.log().splitlines() if marker in line]
    assert len(lines) == 1 and "400" in lines[0]


@pytest.fixture(scope="module")
def key_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("secrets") / "api-key"
    path.write_text(API_KEY + "\n")
    return path


@pytest.fixture(scope="module")
def keyed_pair(
    piper_dir: Path, log_dir: Path, key_file: Path
) -> Iterator[tuple[PredictorServer, PredictorServer]]:
    predictor = start_predictor(piper_dir, "keyed", log_dir, "--api_key_file", str(key_file))
    transformer = start_transformer(predictor, log_dir, "--api_key_file", str(key_file))
    yield predictor, transformer
    transformer.stop()
    predictor.stop()


def test_with_an_api_key_every_route_but_health_needs_it(keyed_pair):
    transformer = keyed_pair[1]
    bearer = {"Authorization": f"Bearer {API_KEY}"}
    for path in ("/v2", "/v2/", "//v2/models/keyed", "/openapi.json", "/v1/normalize"):
        assert httpx.get(transformer.http_url + path).status_code == 401, path
    assert httpx.head(f"{transformer.http_url}/v2/models/keyed").status_code == 401
    assert httpx.post(f"{keyed_pair[0].http_url}/v2/models/keyed/voices").status_code == 401
    for server in keyed_pair:
        for path in (
            "/v2/health/live",
            "/v2/health/ready",
            "/metrics",
            f"/v2/models/{server.name}/ready",
        ):
            assert httpx.get(server.http_url + path).status_code == 200, path
        assert httpx.get(f"{server.http_url}/v2/models/{server.name}").status_code == 401
        wrong = {"Authorization": "Bearer nope"}
        assert (
            httpx.get(f"{server.http_url}/v2/models/{server.name}", headers=wrong).status_code
            == 401
        )
        assert (
            httpx.get(f"{server.http_url}/v2/models/{server.name}", headers=bearer).status_code
            == 200
        )
    refused = speech(transformer, input="Hi.")
    assert refused.status_code == 401
    assert refused.headers["www-authenticate"] == "Bearer"


def test_a_websocket_needs_the_key_at_its_handshake(keyed_pair):
    transformer = keyed_pair[1]
    url = f"ws://127.0.0.1:{transformer.http_port}/v1/audio/speech/stream"
    for headers in ({}, {"Authorization": "Bearer nope"}):
        with pytest.raises(InvalidStatus) as refused:
            ws_connect(url, additional_headers=headers)
        assert refused.value.response.status_code == 403
    with ws_connect(url, additional_headers={"Authorization": f"Bearer {API_KEY}"}) as ws:
        ws.send(json.dumps({"type": "start"}))
        assert json.loads(ws.recv(timeout=30))["type"] == "ready"


def test_the_openai_client_and_grpc_callers_send_the_key(keyed_pair):
    predictor, transformer = keyed_pair
    client = openai.OpenAI(base_url=f"{transformer.http_url}/v1", api_key=API_KEY)
    audio = client.audio.speech.create(model="keyed", voice="alloy", input="Keys work.")
    assert len(audio.content) > 1000
    with pytest.raises(openai.AuthenticationError):
        openai.OpenAI(base_url=f"{transformer.http_url}/v1", api_key="wrong").audio.speech.create(
            model="keyed", voice="alloy", input="No."
        )
    request = pb.ModelInferRequest(
        model_name="keyed",
        inputs=[
            pb.ModelInferRequest.InferInputTensor(
                name="text",
                datatype="BYTES",
                shape=[1],
                contents=pb.InferTensorContents(bytes_contents=[b"Hello."]),
            )
        ],
    )
    with grpc.insecure_channel(predictor.grpc_url) as channel:
        stub = pb_grpc.GRPCInferenceServiceStub(channel)
        with pytest.raises(grpc.RpcError) as caught:
            stub.ModelInfer(request, timeout=30)
        assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED
        reply = stub.ModelInfer(
            request, timeout=30, metadata=(("authorization", f"Bearer {API_KEY}"),)
        )
        assert reply.outputs[0].name == "audio"
        assert stub.ServerReady(pb.ServerReadyRequest(), timeout=10).ready


def test_the_transformer_is_ready_only_while_its_predictor_is(piper_dir, log_dir):
    # The flag turns the repository routes on (off elsewhere: see the test above).
    predictor = start_predictor(piper_dir, "flaky", log_dir, "--enable_model_repository")
    transformer = start_transformer(predictor, log_dir, protocol="v2")
    ready_url = f"{transformer.http_url}/v2/health/ready"
    try:
        assert httpx.get(ready_url).status_code == 200
        loaded = httpx.post(f"{predictor.http_url}/v2/repository/models/flaky/load", timeout=60)
        assert loaded.status_code == 200, loaded.text
        predictor.stop()
        time.sleep(1.5)
        response, elapsed = timed(httpx.get, ready_url, timeout=10)
        assert response.status_code == 503
        assert elapsed < QUICK_S
        with grpc.insecure_channel(transformer.grpc_url) as channel:
            stub = pb_grpc.GRPCInferenceServiceStub(channel)
            assert not stub.ServerReady(pb.ServerReadyRequest(), timeout=10).ready
        assert httpx.get(f"{transformer.http_url}/v2/health/live").status_code == 200
        assert speech(transformer, input="Anyone?").status_code == 503
    finally:
        transformer.stop()
        predictor.stop()


def cpu_seconds(server: PredictorServer) -> float:
    times = psutil.Process(server.process.pid).cpu_times()
    return times.user + times.system


LONG_TEXT = " ".join(f"This is sentence number {n} of a long story." for n in range(1, 200))


def leave_a_stream(transformer: PredictorServer) -> None:
    """Read the first audio of a streamed response, then hang up."""
    url = f"{transformer.http_url}/v1/audio/speech"
    body = {"input": LONG_TEXT, "response_format": "mp3"}
    with httpx.stream("POST", url, json=body, timeout=60) as response:
        assert response.status_code == 200
        assert next(response.iter_bytes())


@pytest.mark.parametrize(
    ("protocol", "streamed"), [("grpc-v2", False), ("v2", False), ("v2", True)]
)
def test_a_client_that_leaves_stops_its_work(piper_dir, log_dir, protocol, streamed):
    name = f"leave-{protocol}-{streamed}"
    predictor = start_predictor(piper_dir, name, log_dir, "--max_batch_size", "4")
    transformer = start_transformer(predictor, log_dir, "--max_batch_size", "4", protocol=protocol)
    try:
        full_started = cpu_seconds(predictor)
        short = speech(transformer, input=LONG_TEXT[:2000], response_format="pcm", stream=False)
        assert short.status_code == 200
        full_cost = cpu_seconds(predictor) - full_started
        if streamed:
            leave_a_stream(transformer)
        else:
            with pytest.raises(httpx.TimeoutException):
                speech(transformer, input=LONG_TEXT, response_format="pcm", stream=False, timeout=1)
        time.sleep(0.5)
        after_leaving = cpu_seconds(predictor)
        time.sleep(4)
        spent = cpu_seconds(predictor) - after_leaving
        # The whole text would cost about four times the 2,000-character one.
        assert spent < 0.25 * full_cost, (spent, full_cost)
        assert "went away" in transformer.log()
        assert_still_serves(transformer)
    finally:
        transformer.stop()
        predictor.stop()


@pytest.mark.parametrize("protocol", ["grpc-v2", "v2"])
def test_the_longest_input_works_over_both_predictor_protocols(vits_server, log_dir, protocol):
    # The tiny VITS says every character in 4 frames: 10,000 characters are over ten minutes of
    # audio, made in seconds. Sentences near the 250-character limit, 16 to a call, once made
    # replies past gRPC's default 8 MiB.
    transformer = start_transformer(vits_server, log_dir, protocol=protocol)
    try:
        text = ("This sentence goes on and on, " * 8 + "until it ends at last. ") * 40
        text = text[:10000]
        response = speech(transformer, input=text, response_format="pcm", timeout=600)
        assert response.status_code == 200, response.text
        assert len(response.content) / 2 / 16000 > 600
        too_long = speech(transformer, input=text + "!", response_format="pcm")
        assert too_long.status_code == 400
        assert "at most 10000" in too_long.json()["error"]["message"]
    finally:
        transformer.stop()
