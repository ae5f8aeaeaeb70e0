"""The real predictor process, each engine, called by every kind of client."""

import threading
import time

import httpx
import numpy as np
import pytest

from tests.audio_fixtures import voice_like_recording
from tests.checkpoints import VITS_SAMPLE_RATE, VITS_SPEAKERS, XTTS_LANGUAGES, XTTS_SPEAKERS
from tests.clients import CLIENTS, InferError, call, infer_grpc, infer_json, infer_triton_grpc

SAMPLE_RATES = {"tiny-vits": VITS_SAMPLE_RATE, "tiny-xtts": 24000, "joe": 22050}


def assert_valid_speech(speech, n_items: int, server) -> None:
    assert speech.audio.dtype == np.float32
    assert speech.audio.shape[0] == n_items
    assert speech.lengths.shape == (n_items,)
    assert speech.audio.shape[1] == speech.lengths.max()
    assert (speech.lengths > 0).all()
    assert np.abs(speech.audio).max() <= 1.0
    for row, length in enumerate(speech.lengths):
        assert not speech.audio[row, length:].any(), "padding must be zeros"
        assert np.abs(speech.audio[row, :length]).max() > 0, "an item must not be silent"
    assert int(speech.parameters["sample_rate"]) == SAMPLE_RATES[server.name]
    assert speech.parameters["model_version"]


@pytest.mark.parametrize("client", list(CLIENTS))
def test_every_client_gets_padded_pcm_lengths_and_sample_rate(any_server, client):
    speech = call(client, any_server, [b"Hello there."])
    assert_valid_speech(speech, 1, any_server)


@pytest.mark.parametrize("client", ["json", "triton-grpc"])
def test_a_batch_returns_one_row_per_text_padded_to_the_longest(any_server, client):
    texts = [b"Hi.", b"This one is a much longer sentence than the first.", b"Middle length."]
    speech = call(client, any_server, texts)
    assert_valid_speech(speech, 3, any_server)
    if any_server.name != "tiny-xtts":  # a random GPT always makes the same number of codes
        assert speech.lengths[1] > speech.lengths[0]


def test_model_version_is_a_response_parameter_and_a_header(xtts_server):
    speech = infer_json(xtts_server, ["Hello."])
    assert speech.parameters["model_version"] == "xtts-test-1"
    assert speech.parameters["header_version"] == "xtts-test-1"


def test_default_model_version_names_the_family(vits_server):
    assert infer_json(vits_server, ["Hello."]).parameters["model_version"].startswith("coqui-")


@pytest.mark.parametrize("speaker", VITS_SPEAKERS)
def test_vits_speaks_with_each_of_its_speakers(vits_server, speaker):
    speech = infer_grpc(vits_server, [b"hello"], {"speaker": speaker})
    assert_valid_speech(speech, 1, vits_server)


def test_xtts_speaks_with_its_builtin_speaker(xtts_server):
    speech = infer_json(xtts_server, ["Hello."], {"speaker": XTTS_SPEAKERS[0]})
    assert_valid_speech(speech, 1, xtts_server)


@pytest.mark.parametrize("language", ["bn", "bn-BD"])
def test_xtts_speaks_bangla_from_normalized_text(xtts_server, language):
    texts = ["আমি বাংলায় কথা বলি।".encode(), "আজ সকাল নয়টা।".encode()]
    speech = infer_triton_grpc(xtts_server, texts, {"language": language})
    assert_valid_speech(speech, 2, xtts_server)


@pytest.mark.parametrize("client", ["json", "binary", "grpc", "triton-grpc"])
def test_xtts_clones_a_voice_from_reference_audio(xtts_server, client):
    reference = voice_like_recording(2.0)
    speech = call(client, xtts_server, [b"Hello there."], speaker_wavs=[reference])
    assert_valid_speech(speech, 1, xtts_server)


@pytest.mark.parametrize("fmt", ["FLAC", "OGG"])
def test_xtts_decodes_compressed_references(xtts_server, fmt):
    reference = voice_like_recording(1.5, fmt=fmt)
    speech = infer_grpc(xtts_server, [b"Hi."], speaker_wavs=[reference, voice_like_recording(1.2)])
    assert_valid_speech(speech, 1, xtts_server)


def test_xtts_splits_text_longer_than_its_language_limit(xtts_server):
    sentence = "This sentence is here to make the text much longer than one generation. "
    speech = infer_json(xtts_server, [sentence * 9])  # about 650 characters, limit 250
    single = infer_json(xtts_server, [sentence])
    assert_valid_speech(speech, 1, xtts_server)
    assert speech.lengths[0] >= 3 * single.lengths[0]


@pytest.mark.parametrize("server_name", ["vits", "piper", "xtts"])
def test_speed_changes_duration(request, server_name):
    server = request.getfixturevalue(f"{server_name}_server")
    text = ["A sentence long enough to hear how fast it is spoken."]
    slow = infer_json(server, text, {"speed": 0.5}).lengths[0]
    fast = infer_grpc(server, [text[0].encode()], {"speed": "2.0"}).lengths[0]
    assert slow > 2 * fast


def test_metadata_declares_inputs_and_outputs(any_server):
    metadata = httpx.get(f"{any_server.http_url}/v2/models/{any_server.name}").json()
    assert {i["name"]: i["datatype"] for i in metadata["inputs"]} == {
        "text": "BYTES",
        "speaker_wav": "BYTES",
    }
    # Models with durations (VITS, Piper) answer each word's time where asked.
    timed = {"word_times": "BYTES"} if any_server.name != "tiny-xtts" else {}
    assert {o["name"]: o["datatype"] for o in metadata["outputs"]} == {
        "audio": "FP32",
        "audio_length": "INT32",
        **timed,
    }


def test_voices_route_lists_speakers_and_languages(vits_server, xtts_server, piper_server):
    vits = httpx.get(f"{vits_server.http_url}/v2/models/tiny-vits/voices").json()
    assert vits["speakers"] == list(VITS_SPEAKERS)
    assert vits["family"] == "coqui" and not vits["voice_cloning"]
    xtts = httpx.get(f"{xtts_server.http_url}/v2/models/tiny-xtts/voices").json()
    assert xtts["languages"] == list(XTTS_LANGUAGES)
    assert xtts["speakers"] == list(XTTS_SPEAKERS)
    assert xtts["voice_cloning"] and "temperature" in xtts["options"]
    piper = httpx.get(f"{piper_server.http_url}/v2/models/joe/voices").json()
    assert piper["languages"] == ["en"] and piper["sample_rate"] == 22050
    missing = httpx.get(f"{piper_server.http_url}/v2/models/nope/voices")
    assert missing.status_code == 404


def test_health_stays_responsive_while_requests_queue(xtts_server):
    """Six syntheses in flight at once all complete while liveness keeps answering."""
    results, errors, live_during = [], [], []
    text = "This sentence is long enough to keep the model busy for a while. " * 3

    def synthesize() -> None:
        try:
            results.append(infer_json(xtts_server, [text]))
        except Exception as exc:
            errors.append(exc)

    workers = [threading.Thread(target=synthesize) for _ in range(6)]
    for worker in workers:
        worker.start()
    while any(worker.is_alive() for worker in workers):
        started = time.monotonic()
        live = httpx.get(f"{xtts_server.http_url}/v2/health/live", timeout=10)
        if any(worker.is_alive() for worker in workers):
            live_during.append((live.status_code, time.monotonic() - started))
        time.sleep(0.05)
    for worker in workers:
        worker.join()
    assert not errors
    assert len(results) == 6
    for speech in results:
        assert_valid_speech(speech, 1, xtts_server)
    assert len(live_during) >= 3, "liveness must be answered while synthesis runs"
    assert all(status == 200 for status, _ in live_during)


def test_untouched_model_directories(vits_dir, xtts_dir, vits_server, xtts_server):
    assert sorted(p.name for p in vits_dir.iterdir()) == [
        "config.json",
        "model.pth",
        "speakers.json",
    ]
    assert "/training/run-42/speakers.json" in (vits_dir / "config.json").read_text()
    assert sorted(p.name for p in xtts_dir.iterdir()) == [
        "config.json",
        "model.pth",
        "speakers_xtts.pth",
        "vocab.json",
    ]


def test_unknown_grpc_model_is_not_found(vits_server):
    vits_server_copy = type(vits_server)(**{**vars(vits_server), "name": "nope"})
    with pytest.raises(InferError) as error:
        infer_grpc(vits_server_copy, [b"hello"])
    assert "nope" in error.value.message
