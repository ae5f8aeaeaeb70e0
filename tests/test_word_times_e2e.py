"""Word times over the wire: the real predictor's `word_times` output for each engine, over REST
(JSON and binary tensors) and gRPC, and the transformer's client reading it.

The client imports kserve, whose protos cannot share a process with tritonclient's: its checks
run in a fresh Python, as tests/test_predictor_stream.py's do.
"""

import asyncio
import itertools
import json

import httpx
import numpy as np
import pytest

from tests.isolation import in_a_fresh_python

HELLO_WORLD = [[0.064, 0.64], [0.832, 1.408]]
"""The tiny VITS gives every symbol 4 frames of 256 samples at 16 kHz (64 ms), a blank between
each two: "hello" from its h (the second symbol) to its o, "world" after the space."""
HELLO_WORLD_AT_SPEED_2 = [[0.032, 0.32], [0.416, 0.704]]
TEXTS = {
    "tiny-vits": ["hello world", "a wonderful day, with friends."],
    "joe": ["The first sentence is here. Then a second one.", "Hello world."],
    "tiny-xtts": ["Hello there."],
}


def infer_json(server, texts: list[str], parameters: dict, outputs: list[str] | None = None):
    body = {
        "inputs": [{"name": "text", "shape": [len(texts)], "datatype": "BYTES", "data": texts}],
        "parameters": parameters,
    }
    if outputs:
        body["outputs"] = [{"name": name} for name in outputs]
    response = httpx.post(server.infer_url, json=body, timeout=120)
    assert response.status_code == 200, response.text
    return {output["name"]: output for output in response.json()["outputs"]}


def check_the_client(name: str, http_port: int, grpc_port: int, expected: object) -> None:
    """PredictorClient.synthesize(..., word_times=True) over REST and gRPC answers `expected`
    (None: no times; a list: these times; "monotonic": one per word, in order, in the audio)."""
    from transformer.predictor_client import PredictorClient

    texts = TEXTS[name]
    hosts = {"v2": f"127.0.0.1:{http_port}", "grpc-v2": f"127.0.0.1:{grpc_port}"}

    async def scenario() -> None:
        for protocol, host in hosts.items():
            client = PredictorClient(host, name, protocol, 120)
            said = await client.synthesize(texts, {}, word_times=True)
            assert all(len(item) for item in said.items)
            if expected == "monotonic":
                assert [len(t) for t in said.word_times] == [len(t.split()) for t in texts]
                for item, audio in zip(said.word_times, said.items, strict=True):
                    assert all(a[1] <= b[0] for a, b in itertools.pairwise(item)), item
                    assert item[0][0] > 0 and item[-1][1] <= len(audio) / said.sample_rate
            elif expected is None:
                assert said.word_times is None, protocol
            else:
                assert said.word_times == [[tuple(p) for p in item] for item in expected]
            assert (await client.synthesize(texts, {})).word_times is None
        if name == "tiny-vits":
            client = PredictorClient(hosts["grpc-v2"], name, "grpc-v2", 120)
            fast = await client.synthesize(["hello world"], {"speed": 2.0}, word_times=True)
            assert fast.word_times == [[tuple(p) for p in HELLO_WORLD_AT_SPEED_2]]
            # As a gRPC client that sends every parameter as a string sends it.
            quoted = await client.synthesize(["hello world"], {"speed": 2, "word_times": "true"})
            assert quoted.word_times == fast.word_times

    asyncio.run(scenario())


def check_the_client_of(server, expected: object) -> None:
    in_a_fresh_python(check_the_client, server.name, server.http_port, server.grpc_port, expected)


def test_vits_answers_each_words_time_over_json_binary_and_grpc(vits_server):
    texts = TEXTS["tiny-vits"]
    outputs = infer_json(vits_server, texts, {"word_times": True})
    assert (outputs["word_times"]["datatype"], outputs["word_times"]["shape"]) == ("BYTES", [2])
    times = [json.loads(item) for item in outputs["word_times"]["data"]]
    assert times[0] == HELLO_WORLD
    assert [len(item) for item in times] == [len(text.split()) for text in texts]
    for item, length in zip(times, outputs["audio_length"]["data"], strict=True):
        assert all(start < end for start, end in item)
        assert all(a[1] <= b[0] for a, b in itertools.pairwise(item))
        assert item[-1][1] <= length / 16000
    check_the_client_of(vits_server, times)


def test_tritonclient_reads_the_word_times_output(vits_server):
    import tritonclient.grpc as triton_grpc

    client = triton_grpc.InferenceServerClient(vits_server.grpc_url)
    text = triton_grpc.InferInput("text", [1], "BYTES")
    text.set_data_from_numpy(np.array([b"hello world"], dtype=np.object_))
    try:
        result = client.infer(vits_server.name, [text], parameters={"word_times": True})
    finally:
        client.close()
    assert [json.loads(item) for item in result.as_numpy("word_times")] == [HELLO_WORLD]


def test_a_bad_word_times_parameter_is_a_400(vits_server):
    response = httpx.post(
        vits_server.infer_url,
        json={
            "inputs": [{"name": "text", "shape": [1], "datatype": "BYTES", "data": ["hi"]}],
            "parameters": {"word_times": "yes"},
        },
        timeout=60,
    )
    assert response.status_code == 400
    assert response.json()["error"] == "'word_times' must be true or false, got 'yes'"


def test_piper_answers_word_times_from_its_phoneme_durations(piper_server):
    check_the_client_of(piper_server, "monotonic")


@pytest.mark.parametrize("outputs", [None, ["audio", "audio_length", "word_times"]])
def test_xtts_has_no_durations_and_answers_without_word_times(xtts_server, outputs):
    answered = infer_json(xtts_server, TEXTS["tiny-xtts"], {"word_times": True}, outputs)
    assert set(answered) == {"audio", "audio_length"}


def test_the_client_gets_no_word_times_from_xtts(xtts_server):
    check_the_client_of(xtts_server, None)


def test_the_voices_route_and_metadata_say_which_models_time_words(
    vits_server, piper_server, xtts_server
):
    for server, timed in ((vits_server, True), (piper_server, True), (xtts_server, False)):
        voices = httpx.get(f"{server.http_url}/v2/models/{server.name}/voices").json()
        assert voices["word_times"] is timed
        metadata = httpx.get(f"{server.http_url}/v2/models/{server.name}").json()
        assert ("word_times" in {output["name"] for output in metadata["outputs"]}) is timed
