"""Streaming end to end, through a real transformer and predictor on the bundled Piper voice:
the OpenAI SDK exactly as its docs show it, server-sent events, and the incremental-text
WebSocket."""

import base64
import itertools
import json
import re
import threading
import time

import httpx
import openai
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from tests.audio_fixtures import decode
from tests.servers import start_predictor, start_transformer

TEXT = "The first sentence is short. The second one is a little longer than that. A third."
LONG = " ".join(f"This is sentence number {n} of a long streamed answer." for n in range(1, 9))
PCM_RATE = 24000
"""OpenAI's pcm, and the WebSocket's default: 16-bit mono at 24 kHz."""


def sdk(server) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{server.http_url}/v1", api_key="unused")


def seconds_of(data: bytes, response_format: str, pcm_rate: int = 22050) -> float:
    if response_format == "pcm":
        return len(data) / 2 / pcm_rate
    audio, rate = decode(data)
    return len(audio) / rate


def whole_file(server, response_format: str, text: str = TEXT) -> bytes:
    response = httpx.post(
        f"{server.http_url}/v1/audio/speech",
        json={"input": text, "response_format": response_format, "stream": False},
        timeout=120,
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-length"] == str(len(response.content))
    return response.content


@pytest.mark.parametrize("response_format", ["mp3", "opus", "aac", "flac", "wav", "pcm", "ogg"])
def test_the_sdk_as_documented_gets_one_streamed_file_that_decodes_to_the_end(
    joe_transformer, response_format
):
    """`with_streaming_response` and no extra flags: streamed by default, and the body decodes
    to the end (a second header or Ogg stream would stop a decoder after one sentence)."""
    chunks = []
    with sdk(joe_transformer).audio.speech.with_streaming_response.create(
        model="joe", voice="alloy", input=TEXT, response_format=response_format
    ) as response:
        assert response.headers.get("transfer-encoding") == "chunked"
        assert "content-length" not in response.headers
        chunks.extend(response.iter_bytes())
    streamed = seconds_of(b"".join(chunks), response_format)
    whole = seconds_of(whole_file(joe_transformer, response_format), response_format)
    assert whole > 3.0
    # Piper's durations vary a little from call to call; a decoder that stopped at the first
    # sentence's end would hear a third of it.
    assert 0.85 < streamed / whole < 1.15, (streamed, whole)


def test_the_first_audio_leaves_before_the_last_sentence_is_made(joe_transformer):
    arrivals, chunks = [], []
    started = time.perf_counter()
    with sdk(joe_transformer).audio.speech.with_streaming_response.create(
        model="joe", voice="alloy", input=LONG, response_format="pcm"
    ) as response:
        for chunk in response.iter_bytes():
            arrivals.append(time.perf_counter() - started)
            chunks.append(chunk)
    total = arrivals[-1]
    assert len(chunks) >= 4
    assert arrivals[0] < total / 3, f"first audio at {arrivals[0]:.2f}s of {total:.2f}s"
    assert len(b"".join(chunks)) / 2 > 8 * 22050  # eight sentences of speech


def sse_events(server, body: dict) -> list[dict]:
    events = []
    with httpx.stream(
        "POST", f"{server.http_url}/v1/audio/speech", json=body, timeout=120
    ) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        for line in response.iter_lines():
            if line.startswith("data: "):
                events.append(json.loads(line[len("data: ") :]))
    return events


def test_sse_sends_audio_deltas_then_done_with_usage(joe_transformer):
    text = f"{TEXT} Events this time."  # not from the cache, which answers in one delta
    events = sse_events(
        joe_transformer, {"input": text, "response_format": "mp3", "stream_format": "sse"}
    )
    *deltas, done = events
    assert len(deltas) >= 2 and {e["type"] for e in deltas} == {"speech.audio.delta"}
    audio = b"".join(base64.b64decode(e["audio"]) for e in deltas)
    seconds = seconds_of(audio, "mp3")
    assert 0.85 < seconds / seconds_of(whole_file(joe_transformer, "mp3", text), "mp3") < 1.15
    assert done["type"] == "speech.audio.done"
    usage = done["usage"]
    assert usage["input_tokens"] == len(re.findall(r"\w+|[^\w\s]", text))
    assert abs(usage["output_tokens"] - 50 * seconds) < 10
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"]


def test_the_sdk_asks_for_sse_by_its_own_parameter(joe_transformer):
    with sdk(joe_transformer).audio.speech.with_streaming_response.create(
        model="joe", voice="alloy", input="Hello.", response_format="pcm", stream_format="sse"
    ) as response:
        body = response.read().decode()
    assert '"type": "speech.audio.delta"' in body and '"type": "speech.audio.done"' in body


def websocket_url(server) -> str:
    return f"ws://127.0.0.1:{server.http_port}/v1/audio/speech/stream"


def receive_json(ws) -> dict:
    message = ws.recv(timeout=60)
    assert isinstance(message, str), "expected a JSON frame, got audio"
    return json.loads(message)


def test_a_websocket_speaks_each_sentence_before_the_text_is_finished(joe_transformer):
    with connect(websocket_url(joe_transformer)) as ws:
        ws.send(json.dumps({"type": "start", "voice": "alloy"}))
        assert receive_json(ws) == {"type": "ready", "sample_rate": PCM_RATE}
        for word in ["Tokens", "arrive", "one", "by", "one.", "The", "next"]:
            ws.send(json.dumps({"type": "text", "text": word + " "}))
        # The first sentence is heard although the second is still being written.
        first = receive_json(ws)
        assert first == {
            "type": "sentence",
            "text": "Tokens arrive one by one.",
            "start": 0.0,
            "end": first["end"],
        }
        audio = bytearray()
        while isinstance(message := ws.recv(timeout=60), bytes):
            audio += message
            if len(audio) >= (first["end"] - 0.001) * PCM_RATE * 2:  # end is rounded to ms
                break
        for word in ["sentence", "waits", "for", "its", "end"]:
            ws.send(json.dumps({"type": "text", "text": word + " "}))
        ws.send(json.dumps({"type": "flush"}))
        ws.send(json.dumps({"type": "text", "text": "And a last one without a stop"}))
        ws.send(json.dumps({"type": "close"}))
        sentences, done = [first], None
        for message in ws:
            if isinstance(message, bytes):
                audio += message
                continue
            frame = json.loads(message)
            if frame["type"] == "done":
                done = frame
            else:
                sentences.append(frame)
    assert [s["text"] for s in sentences] == [
        "Tokens arrive one by one.",
        "The next sentence waits for its end",
        "And a last one without a stop",
    ]
    assert all(a["end"] < b["start"] for a, b in itertools.pairwise(sentences))
    assert done is not None and done["audio_seconds"] == sentences[-1]["end"]
    assert abs(len(audio) / 2 / PCM_RATE - done["audio_seconds"]) < 0.05


def test_websocket_sessions_run_at_once_each_in_its_own_format(joe_transformer):
    results: dict[str, bytes] = {}

    def session(response_format: str) -> None:
        with connect(websocket_url(joe_transformer)) as ws:
            ws.send(json.dumps({"type": "start", "response_format": response_format}))
            ready = receive_json(ws)
            ws.send(json.dumps({"type": "text", "text": f"A session in {response_format}. "}))
            ws.send(json.dumps({"type": "text", "text": "It has two sentences."}))
            ws.send(json.dumps({"type": "close"}))
            data = bytearray()
            for message in ws:
                if isinstance(message, bytes):
                    data += message
            results[response_format] = bytes(data)
            assert ready["sample_rate"] == PCM_RATE

    threads = [threading.Thread(target=session, args=(f,)) for f in ("mp3", "opus", "wav")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    for response_format in ("mp3", "opus", "wav"):
        assert 1.5 < seconds_of(results[response_format], response_format) < 10


@pytest.mark.parametrize(
    ("frames", "message"),
    [
        ([{"type": "text", "text": "hi"}], "the first frame must be"),
        ([{"type": "start", "response_format": "m4a"}], "'response_format'"),
        ([{"type": "start"}, {"type": "shout"}], "'type'"),
        ([{"type": "start"}, {"type": "text"}], "a 'text' frame needs 'text'"),
        ([{"type": "start", "speed": 9}], "'speed'"),
    ],
)
def test_a_bad_websocket_frame_is_an_error_frame_and_a_close(joe_transformer, frames, message):
    with connect(websocket_url(joe_transformer)) as ws:
        for frame in frames:
            ws.send(json.dumps(frame))
        received = []
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                received.append(ws.recv(timeout=60))
    error = json.loads(received[-1])
    assert error["type"] == "error" and message in error["message"], error
    assert closed.value.rcvd.code == 1008


def test_a_model_that_streams_is_heard_before_its_sentence_is_generated(xtts_dir, log_dir):
    """In front of XTTS over REST the transformer reads the predictor's token stream: a
    sentence's audio leaves in pieces of --stream_chunk_tokens as they are decoded."""
    predictor = start_predictor(xtts_dir, "xtts-stream", log_dir, "--stream_chunk_tokens", "4")
    transformer = start_transformer(predictor, log_dir, protocol="v2")
    try:
        url = f"{transformer.http_url}/v1/audio/speech"
        body = {"input": "One sentence only.", "response_format": "pcm"}
        with httpx.stream("POST", url, json=body, timeout=120) as response:
            assert response.status_code == 200
            streamed = b"".join(response.iter_bytes())
        whole = httpx.post(url, json={**body, "stream": False}, timeout=120).content
        assert "/infer/stream" in predictor.log()
        # A random GPT always runs to its 12 audio tokens: both say the same length.
        assert abs(len(streamed) - len(whole)) <= 2 * 1024
    finally:
        transformer.stop()
        predictor.stop()
