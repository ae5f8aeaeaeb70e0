"""Stored voices end to end: real predictors and transformers, the OpenAI SDK, multipart uploads
with httpx, the V2 route and the WebSocket; restarts, concurrent uploads, every error path."""

import asyncio
import io
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import openai
import pytest
import soundfile
from websockets.sync.client import connect

from tests.audio_fixtures import voice_like_recording
from tests.servers import PredictorServer, start_predictor, start_transformer


def upload(server: PredictorServer, name: str, recording: bytes, **fields: str) -> httpx.Response:
    return httpx.post(
        f"{server.http_url}/v1/audio/voices",
        data={"name": name, **fields},
        files={"audio_sample": ("sample.wav", recording, "audio/wav")},
        timeout=60,
    )


def speak(server: PredictorServer, voice: object, text: str = "Hello there.") -> httpx.Response:
    return httpx.post(
        f"{server.http_url}/v1/audio/speech",
        json={"input": text, "voice": voice, "response_format": "wav", "stream": False},
        timeout=120,
    )


@pytest.fixture(scope="module")
def voices_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("voices")


@pytest.fixture(scope="module")
def xtts_pair(
    xtts_dir: Path, log_dir: Path, voices_dir: Path
) -> Iterator[tuple[PredictorServer, PredictorServer]]:
    """A predictor on the tiny XTTS, which clones, and a transformer keeping voices."""
    predictor = start_predictor(xtts_dir, "xtts-voices", log_dir)
    transformer = start_transformer(
        predictor, log_dir, "--voices_dir", str(voices_dir), protocol="v2"
    )
    yield predictor, transformer
    transformer.stop()
    predictor.stop()


def test_a_voice_is_uploaded_listed_used_everywhere_and_deleted(xtts_pair):
    _, transformer = xtts_pair
    created = upload(transformer, "Narrator", voice_like_recording(3.0), consent="recorded by me")
    assert created.status_code == 200, created.text
    voice = created.json()
    assert voice["id"].startswith("voice_") and voice["object"] == "audio.voice"
    assert voice["name"] == "Narrator" and voice["created_at"] > 0
    listed = httpx.get(f"{transformer.http_url}/v1/audio/voices").json()
    assert listed["object"] == "list"
    ids = [v["id"] for v in listed["data"]]
    assert voice["id"] in ids and "Ana Florence" in ids  # the model's own voices come first
    for key in (voice["id"], "Narrator"):
        got = httpx.get(f"{transformer.http_url}/v1/audio/voices/{key}")
        assert got.status_code == 200 and got.json()["id"] == voice["id"]
    # By id, by name, as {"id": ...}, blended with a model voice: the OpenAI route...
    for ref in (voice["id"], "Narrator", {"id": voice["id"]}, "Narrator(2)+Ana Florence"):
        assert speak(transformer, ref).status_code == 200, ref
    client = openai.OpenAI(base_url=f"{transformer.http_url}/v1", api_key="unused")
    assert len(client.audio.speech.create(model="m", voice="Narrator", input="Hi.").content) > 100
    # ...V2...
    v2 = httpx.post(
        f"{transformer.http_url}/v2/models/{transformer.name}/infer",
        json={
            "inputs": [{"name": "text", "shape": [1], "datatype": "BYTES", "data": ["Hi."]}],
            "parameters": {"voice": "Narrator"},
        },
        timeout=120,
    )
    assert v2.status_code == 200, v2.text
    # ...and the WebSocket.
    with connect(f"ws://127.0.0.1:{transformer.http_port}/v1/audio/speech/stream") as ws:
        ws.send(json.dumps({"type": "start", "voice": {"id": voice["id"]}}))
        ws.send(json.dumps({"type": "text", "text": "Hello there."}))
        ws.send(json.dumps({"type": "close"}))
        frames = [m for m in ws if isinstance(m, str)]
    assert json.loads(frames[-1])["type"] == "done"
    deleted = httpx.delete(f"{transformer.http_url}/v1/audio/voices/{voice['id']}")
    assert deleted.json() == {"id": voice["id"], "object": "audio.voice.deleted", "deleted": True}
    gone = speak(transformer, "Narrator")
    assert gone.status_code == 400
    assert "unknown voice 'Narrator'; available: Ana Florence" in gone.json()["error"]["message"]
    assert httpx.get(f"{transformer.http_url}/v1/audio/voices/{voice['id']}").status_code == 404
    assert upload(transformer, "Narrator", voice_like_recording(2.0)).status_code == 200


def test_default_and_openai_names_mean_the_default_voice(xtts_pair):
    _, transformer = xtts_pair
    for name in ("default", "alloy", None):
        assert speak(transformer, name).status_code == 200, name
    for blend in ("Ana Florence(.)", "Ana Florence(1.2.3)", "a+b+c+d+e+f+g+h+i", "(2)"):
        refused = speak(transformer, blend)
        assert refused.status_code == 400, blend
        assert "'voice'" in refused.json()["error"]["message"]
    unknown = speak(transformer, "nobody").json()["error"]["message"]
    assert unknown.startswith("unknown voice 'nobody'; available: Ana Florence")


def test_voices_survive_a_restart_of_both_servers(xtts_dir, log_dir, tmp_path):
    def pair() -> tuple[PredictorServer, PredictorServer]:
        predictor = start_predictor(xtts_dir, "xtts-restart", log_dir)
        args = ("--voices_dir", str(tmp_path))
        return predictor, start_transformer(predictor, log_dir, *args, protocol="v2")

    predictor, transformer = pair()
    try:
        voice = upload(transformer, "Kept", voice_like_recording(2.5)).json()
    finally:
        transformer.stop()
        predictor.stop()
    predictor, transformer = pair()
    try:
        assert httpx.get(f"{transformer.http_url}/v1/audio/voices/Kept").json()["id"] == voice["id"]
        assert speak(transformer, voice["id"]).status_code == 200
    finally:
        transformer.stop()
        predictor.stop()


def test_twenty_concurrent_uploads_all_land_and_one_name_is_taken_once(xtts_pair):
    _, transformer = xtts_pair
    recording = voice_like_recording(1.5)

    async def send(names: list[str]) -> list[httpx.Response]:
        async with httpx.AsyncClient(timeout=120) as client:
            return await asyncio.gather(
                *(
                    client.post(
                        f"{transformer.http_url}/v1/audio/voices",
                        data={"name": name},
                        files={"audio_sample": ("a.wav", recording, "audio/wav")},
                    )
                    for name in names
                )
            )

    distinct = asyncio.run(send([f"Crowd {n}" for n in range(20)]))
    assert [r.status_code for r in distinct] == [200] * 20
    listed = httpx.get(f"{transformer.http_url}/v1/audio/voices").json()["data"]
    assert {f"Crowd {n}" for n in range(20)} <= {v["name"] for v in listed}
    same = asyncio.run(send(["Twin"] * 5))
    assert sorted(r.status_code for r in same) == [200, 400, 400, 400, 400]
    assert "a voice named 'Twin' exists" in next(r for r in same if r.status_code == 400).text


@pytest.mark.parametrize(
    ("fields", "files", "message"),
    [
        (
            {"name": "x"},
            {"audio_sample": ("a.txt", b"not audio at all", "text/plain")},
            "is not a recording that can be decoded",
        ),
        (
            {"name": "x"},
            {"audio_sample": ("a.wav", voice_like_recording(0.4), "audio/wav")},
            "'audio_sample' is 0.4 s long; send 1 to 30 s",
        ),
        (
            {"name": "x"},
            {"audio_sample": ("a.wav", voice_like_recording(31), "audio/wav")},
            "s long; send 1 to 30 s",
        ),
        (
            {},
            {"audio_sample": ("a.wav", voice_like_recording(2), "audio/wav")},
            "'name' is missing",
        ),
        ({"name": "x"}, {}, "'audio_sample' is missing"),
        (
            {"name": "a(2)+b"},
            {"audio_sample": ("a.wav", voice_like_recording(2), "audio/wav")},
            "is not allowed",
        ),
        (
            {"name": "alloy"},
            {"audio_sample": ("a.wav", voice_like_recording(2), "audio/wav")},
            "is not allowed",
        ),
        (
            {"name": "x", "colour": "red"},
            {"audio_sample": ("a.wav", voice_like_recording(2), "audio/wav")},
            "unknown field",
        ),
    ],
)
def test_bad_uploads_are_400s_that_say_why(xtts_pair, fields, files, message):
    _, transformer = xtts_pair
    response = httpx.post(
        f"{transformer.http_url}/v1/audio/voices", data=fields, files=files or None, timeout=60
    )
    assert response.status_code == 400, response.text
    assert message in response.json()["error"]["message"]


def test_a_recording_in_a_codec_ffmpeg_lacks_is_refused(xtts_pair):
    recording = bytearray(voice_like_recording(2))
    recording[20:22] = (0x1234).to_bytes(2, "little")  # the WAV format tag
    refused = upload(xtts_pair[1], "odd", bytes(recording))
    assert refused.status_code == 400
    assert "'audio_sample'" in refused.json()["error"]["message"]


def test_a_silent_recording_and_a_huge_body_are_refused(xtts_pair):
    _, transformer = xtts_pair
    buffer = io.BytesIO()
    soundfile.write(buffer, np.zeros(32000, np.float32), 16000, format="WAV")
    silent = buffer.getvalue()
    assert "silent" in upload(transformer, "quiet", silent).json()["error"]["message"]
    huge = upload(transformer, "big", bytes(11 * 1024 * 1024))
    assert huge.status_code == 413


def test_a_model_that_cannot_clone_refuses_uploads(piper_server, log_dir, tmp_path):
    transformer = start_transformer(
        piper_server, log_dir, "--voices_dir", str(tmp_path), protocol="v2"
    )
    try:
        refused = upload(transformer, "Mine", voice_like_recording(2))
        assert refused.status_code == 400
        assert "cannot clone a voice" in refused.json()["error"]["message"]
        missing = httpx.delete(f"{transformer.http_url}/v1/audio/voices/voice_{'0' * 24}")
        assert missing.status_code == 404
    finally:
        transformer.stop()


def test_models_list_in_openai_shape_keeps_kserves_key(joe_transformer):
    client = openai.OpenAI(base_url=f"{joe_transformer.http_url}/v1", api_key="unused")
    assert [m.id for m in client.models.list()] == ["joe"]
    assert httpx.get(f"{joe_transformer.http_url}/v1/models").json()["models"] == ["joe"]


def test_without_a_voices_dir_uploads_say_how_to_keep_voices(joe_transformer):
    refused = upload(joe_transformer, "Mine", voice_like_recording(2))
    assert refused.status_code == 400
    assert "--voices_dir" in refused.json()["error"]["message"]
