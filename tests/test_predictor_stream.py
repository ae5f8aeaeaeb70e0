"""The predictor's streaming route, `POST /v2/models/{name}/infer/stream`: frames as the model
makes them, errors before audio as /infer answers them, and the transformer's client for it.

What imports kserve (the transformer's client, the route's framing) runs in a fresh Python:
kserve's gRPC protos and tritonclient's (tests/clients.py) cannot share one process.
"""

import asyncio
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import numpy as np
import pytest
from prometheus_client.parser import text_string_to_metric_families

from predictor.engines import SynthesisOptions, load_engine
from tests.isolation import in_a_fresh_python
from tests.servers import PredictorServer, start_predictor
from voxraga.chunking import split_to_fit
from voxraga.pcm_frames import (
    END_FRAME,
    FrameDecoder,
    FramingError,
    StreamFailedError,
    audio_frame,
    error_frame,
)

API_KEY = "stream-test-key"
AUTH = {"Authorization": f"Bearer {API_KEY}"}
GREEDY = {"top_k": 1}
SENTENCE = "This sentence is long enough to be a good part of one generation on its own. "
LONG_TEXT = SENTENCE * 40
"""About 3000 characters: a dozen XTTS generations, seconds of work for the tiny model."""


@pytest.fixture(scope="module")
def xtts_streamer(
    xtts_dir: Path, log_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[PredictorServer]:
    """The tiny XTTS streaming 4 audio tokens a frame (it makes 12 a generation), admitting
    one text at a time, behind an API key."""
    key_file = tmp_path_factory.mktemp("stream-secrets") / "api-key"
    key_file.write_text(API_KEY)
    server = start_predictor(
        xtts_dir,
        "tiny-xtts-stream",
        log_dir,
        "--stream_chunk_tokens",
        "4",
        "--max_queue_items",
        "1",
        "--api_key_file",
        str(key_file),
        "--model_version",
        "stream-test-1",
    )
    yield server
    server.stop()


@pytest.fixture
def streamer(xtts_streamer: PredictorServer) -> PredictorServer:
    """The streaming server, once what an earlier test left running has stopped."""
    deadline = time.monotonic() + 30
    while metric(xtts_streamer, "tts_queue_depth", model=xtts_streamer.name) > 0:
        assert time.monotonic() < deadline, "the streaming server never became idle"
        time.sleep(0.1)
    return xtts_streamer


def stream_url(server: PredictorServer) -> str:
    return f"{server.infer_url}/stream"


def v2_body(*texts: str, **parameters: object) -> dict:
    return {
        "inputs": [{"name": "text", "shape": [len(texts)], "datatype": "BYTES", "data": texts}],
        "parameters": parameters,
    }


def read_frames(response: httpx.Response) -> list[tuple[float, np.ndarray]]:
    """Each audio frame of a whole stream, with the time it arrived."""
    decoder, frames = FrameDecoder(), []
    for data in response.iter_raw():
        frames += [(time.monotonic(), frame) for frame in decoder.feed(data)]
    decoder.finish()
    return frames


def infer_length(server: PredictorServer, text: str, headers: dict, **parameters: object) -> int:
    response = httpx.post(
        server.infer_url, json=v2_body(text, **parameters), headers=headers, timeout=60
    )
    assert response.status_code == 200, response.text
    return response.json()["outputs"][1]["data"][0]


def metric(server: PredictorServer, sample: str, **labels: str) -> float:
    text = httpx.get(f"{server.http_url}/metrics").text
    return sum(
        value.value
        for family in text_string_to_metric_families(text)
        for value in family.samples
        if value.name == sample and labels.items() <= value.labels.items()
    )


def test_xtts_streams_several_frames_that_add_up_to_what_infer_says(streamer):
    with httpx.stream(
        "POST", stream_url(streamer), json=v2_body("Hello there.", **GREEDY), headers=AUTH
    ) as response:
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/octet-stream"
        assert response.headers["x-sample-rate"] == "24000"
        assert response.headers["x-model-version"] == "stream-test-1"
        frames = [frame for _, frame in read_frames(response)]
    assert len(frames) >= 3
    total = sum(len(frame) for frame in frames)
    assert len(frames[0]) < total / 2
    for frame in frames:
        assert frame.dtype == np.float32 and np.abs(frame).max() <= 1.0 and frame.any()
    whole = infer_length(streamer, "Hello there.", AUTH, **GREEDY)
    # XTTS cross-fades its pieces over 1024 samples: the joined stream is the same length.
    assert abs(total - whole) <= 1024, (total, whole)


def test_the_first_frame_comes_long_before_the_last(streamer):
    text = SENTENCE * 12
    started = time.monotonic()
    with httpx.stream(
        "POST", stream_url(streamer), json=v2_body(text), headers=AUTH, timeout=60
    ) as response:
        arrivals = [at - started for at, _ in read_frames(response)]
    assert len(split_to_fit(text, 250)) >= 3, "several generations, each of several frames"
    assert arrivals[0] < arrivals[-1] / 3, arrivals


def check_the_predictor_client(name: str, http_port: int, grpc_port: int) -> None:
    from transformer.predictor_client import PredictorClient, PredictorRejectedError
    from voxraga.overload import TooManyRequestsError

    async def scenario() -> None:
        rest_host, grpc_host = f"127.0.0.1:{http_port}", f"127.0.0.1:{grpc_port}"
        client = PredictorClient(
            grpc_host, name, "grpc-v2", 60, api_key=API_KEY, rest_host=rest_host
        )
        assert await client.streams()
        audio = await client.synthesize_stream("Hello there.", GREEDY)
        async with audio:
            chunks = [chunk async for chunk in audio]
        assert (audio.sample_rate, audio.model_version) == (24000, "stream-test-1")
        assert len(chunks) >= 3 and all(chunk.dtype == np.float32 for chunk in chunks)
        raw = httpx.post(
            f"http://{rest_host}/v2/models/{name}/infer/stream",
            json=v2_body("Hello there.", **GREEDY),
            headers=AUTH,
            timeout=60,
        )
        decoder = FrameDecoder()
        assert sum(map(len, chunks)) == sum(map(len, decoder.feed(raw.content)))
        with pytest.raises(PredictorRejectedError, match="unknown speaker 'nobody'"):
            await client.synthesize_stream("Hi.", {"speaker": "nobody"})
        held = await client.synthesize_stream(LONG_TEXT, {})
        async with held:
            await anext(aiter(held))
            with pytest.raises(TooManyRequestsError, match="at capacity") as refusal:
                await client.synthesize_stream("Hi.", {})
            assert refusal.value.retry_after_s == 1
        over_grpc_only = PredictorClient(grpc_host, name, "grpc-v2", 60, api_key=API_KEY)
        assert not await over_grpc_only.streams()
        over_rest = PredictorClient(rest_host, name, "v2", 60, api_key=API_KEY)
        assert over_rest.rest_host == rest_host and await over_rest.streams()

    asyncio.run(scenario())


def test_the_predictor_client_streams_with_rate_and_version(streamer):
    in_a_fresh_python(
        check_the_predictor_client, streamer.name, streamer.http_port, streamer.grpc_port
    )


def test_bad_input_is_answered_before_any_frame_as_infer_answers_it(streamer):
    def post(body: dict, name: str = streamer.name, headers: dict = AUTH) -> httpx.Response:
        url = f"{streamer.http_url}/v2/models/{name}/infer/stream"
        return httpx.post(url, json=body, headers=headers, timeout=60)

    two = post(v2_body("One.", "Two."))
    assert two.status_code == 400
    assert "'text' has 2 items; a stream says one text" in two.json()["error"]
    speaker = post(v2_body("Hi.", speaker="nobody"))
    assert speaker.status_code == 400
    assert speaker.json() == {"error": "unknown speaker 'nobody'; available: Ana Florence"}
    infer = httpx.post(streamer.infer_url, json=v2_body("Hi.", speaker="nobody"), headers=AUTH)
    assert infer.json() == speaker.json()
    assert post({"inputs": "nope"}).status_code == 400
    assert post(v2_body("Hi."), name="nope").status_code == 404
    assert post(v2_body("Hi."), headers={}).status_code == 401


def test_at_capacity_a_stream_is_a_429_with_retry_after(streamer):
    with httpx.stream(
        "POST", stream_url(streamer), json=v2_body(LONG_TEXT), headers=AUTH, timeout=60
    ) as held:
        assert held.status_code == 200
        next(held.iter_raw())
        refused = httpx.post(stream_url(streamer), json=v2_body("Hi."), headers=AUTH)
        assert refused.status_code == 429
        assert refused.headers["retry-after"] == "1"
        assert "at capacity" in refused.json()["error"]


def test_a_client_that_leaves_mid_stream_stops_the_generation(streamer):
    labels = {"model": streamer.name}
    audio_before = metric(streamer, "tts_audio_seconds_total", **labels)
    cancelled_before = metric(streamer, "tts_requests_total", outcome="cancelled", **labels)
    with httpx.stream(
        "POST", stream_url(streamer), json=v2_body(LONG_TEXT), headers=AUTH, timeout=60
    ) as response:
        assert response.status_code == 200
        next(response.iter_raw())
    # One text item is admitted at a time: the next request is served once the worker is free.
    deadline = time.monotonic() + 30
    while (
        answer := httpx.post(stream_url(streamer), json=v2_body("Hi."), headers=AUTH)
    ).status_code == 429:
        assert time.monotonic() < deadline, "the worker was never freed"
        time.sleep(0.05)
    assert answer.status_code == 200
    decoder = FrameDecoder()
    one_generation = sum(len(frame) for frame in decoder.feed(answer.content))
    decoder.finish()
    sample_rate = 24000
    made = metric(streamer, "tts_audio_seconds_total", **labels) - audio_before
    left_behind = made - one_generation / sample_rate
    whole = len(split_to_fit(LONG_TEXT, 250)) * one_generation / sample_rate
    # A random GPT makes the same number of tokens for every generation: the long text would
    # have made `whole` seconds; the generation stopped within a frame or two of the first.
    assert left_behind < whole / 4, (left_behind, whole)
    cancelled = metric(streamer, "tts_requests_total", outcome="cancelled", **labels)
    assert cancelled == cancelled_before + 1


def test_a_model_that_does_not_stream_sends_one_frame(vits_server):
    voices = httpx.get(f"{vits_server.http_url}/v2/models/{vits_server.name}/voices").json()
    assert voices["streaming"] is False
    with httpx.stream("POST", stream_url(vits_server), json=v2_body("Hello there.")) as response:
        assert response.status_code == 200
        assert response.headers["x-sample-rate"] == str(voices["sample_rate"])
        frames = [frame for _, frame in read_frames(response)]
    assert len(frames) == 1
    assert len(frames[0]) == infer_length(vits_server, "Hello there.", {})


def test_the_xtts_voices_say_it_streams(streamer):
    url = f"{streamer.http_url}/v2/models/{streamer.name}/voices"
    assert httpx.get(url, headers=AUTH).json()["streaming"] is True


def check_an_error_after_audio_is_an_error_frame() -> None:
    from kserve.errors import InferenceError

    from predictor.model import AudioStream
    from predictor.routes import _frames

    async def failing() -> Iterator[np.ndarray]:
        yield np.ones(3, dtype=np.float32)
        raise InferenceError("synthesis failed: RuntimeError: out of memory")

    async def body() -> list[bytes]:
        return [frame async for frame in _frames(AudioStream(24000, "v", failing()), "test")]

    assert asyncio.run(body()) == [
        audio_frame(np.ones(3)),
        error_frame("synthesis failed: RuntimeError: out of memory"),
    ]


def test_an_error_after_the_first_frame_ends_the_body_with_its_message():
    in_a_fresh_python(check_an_error_after_audio_is_an_error_frame)


def test_xtts_streams_on_several_threads_each_say_their_own_text(xtts_dir, tmp_path):
    """The scheduler runs streams on `--parallel` threads: each must equal the same stream
    alone, as the GPT's conditioning prefix and the CUDA stream are per thread."""
    engine = load_engine(xtts_dir, "cpu", tmp_path, stream_chunk_tokens=4)
    greedy = SynthesisOptions(sampling=GREEDY)
    texts = ["hello there", "a much longer sentence, with more words in it", "hi", "one two"]

    def pieces(text: str) -> list[np.ndarray]:
        return list(engine.synthesize_stream(text, greedy))

    alone = [pieces(text) for text in texts]
    assert engine.streams and all(len(streamed) >= 3 for streamed in alone)
    whole = engine.synthesize(texts[0], greedy)
    assert abs(sum(map(len, alone[0])) - len(whole)) <= 1024
    with ThreadPoolExecutor(len(texts)) as pool:
        together = list(pool.map(pieces, texts))
    for expected, got in zip(alone, together, strict=True):
        np.testing.assert_allclose(np.concatenate(got), np.concatenate(expected), atol=1e-5)


@pytest.mark.parametrize("piece", [1, 3, 7, 4096])
def test_frames_decode_from_pieces_of_any_size(piece):
    first, second = np.linspace(-1, 1, 5, dtype=np.float32), np.array([0.5], dtype=np.float32)
    body = audio_frame(first) + audio_frame(second) + END_FRAME
    decoder, frames = FrameDecoder(), []
    for start in range(0, len(body), piece):
        frames += decoder.feed(body[start : start + piece])
    decoder.finish()
    assert decoder.complete and decoder.samples == 6
    np.testing.assert_array_equal(np.concatenate(frames), np.concatenate([first, second]))


def test_a_stream_without_its_end_frame_was_cut():
    body = audio_frame(np.ones(4)) + END_FRAME
    for cut in (len(body) - 1, len(body) - 4, 5):
        decoder = FrameDecoder()
        decoder.feed(body[:cut])
        with pytest.raises(FramingError, match="cut after"):
            decoder.finish()
    decoder = FrameDecoder()
    with pytest.raises(FramingError, match="after the end frame"):
        decoder.feed(END_FRAME + b"\0")
    with pytest.raises(ValueError, match="0 would read as the end"):
        audio_frame(np.zeros(0))


def test_an_error_frame_ends_the_stream_with_its_message_even_cut_short():
    frame = error_frame("synthesis failed")
    decoder = FrameDecoder()
    assert [len(chunk) for chunk in decoder.feed(audio_frame(np.ones(2)) + frame)] == [2]
    with pytest.raises(StreamFailedError, match=r"^synthesis failed$"):
        decoder.finish()
    with pytest.raises(StreamFailedError, match=r"^synthesis failed$"):
        FrameDecoder().feed(frame)
    decoder = FrameDecoder()
    assert decoder.feed(frame[:-3]) == []
    with pytest.raises(StreamFailedError, match=r"^synthesis fai \(cut off\)$"):
        decoder.finish()


def check_the_client_reports_a_stream_that_broke_off() -> None:
    from transformer.predictor_client import PredictorClient, PredictorStreamError

    body = audio_frame(np.ones(4)) + error_frame("synthesis failed: boom")

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/voices"):
            return httpx.Response(200, json={"streaming": True})
        return httpx.Response(200, headers={"x-sample-rate": "16000"}, content=body)

    async def scenario() -> None:
        client = PredictorClient("predictor:80", "m", "v2", 5)
        client._http = httpx.AsyncClient(
            base_url="http://predictor:80", transport=httpx.MockTransport(handler)
        )
        audio = await client.synthesize_stream("Hi.", {})
        assert audio.sample_rate == 16000
        chunks = []
        with pytest.raises(PredictorStreamError, match="failed mid-stream: synthesis failed: boom"):
            async for chunk in audio:
                chunks.append(chunk)
        assert [len(chunk) for chunk in chunks] == [4]

    asyncio.run(scenario())


def test_the_client_reports_a_stream_that_broke_off():
    in_a_fresh_python(check_the_client_reports_a_stream_that_broke_off)
