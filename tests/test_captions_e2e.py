"""Captions end to end: word and sentence times that match the audio, and subtitle files."""

import base64
import itertools

import httpx
import numpy as np
import srt

from tests.audio_fixtures import decode
from tests.servers import start_transformer

TEXT = "The first sentence is here. Then a second sentence follows it."


def timestamps(server, **body) -> httpx.Response:
    return httpx.post(
        f"{server.http_url}/v1/audio/speech/timestamps",
        json={"input": TEXT, "response_format": "wav", **body},
        timeout=120,
    )


def loudness(audio: np.ndarray, rate: int, start: float, end: float) -> float:
    stretch = audio[int(start * rate) : int(end * rate)]
    return float(np.sqrt(np.mean(stretch**2))) if len(stretch) else 0.0


def test_words_and_sentences_fall_where_their_audio_is(joe_transformer):
    response = timestamps(joe_transformer, captions="srt")
    assert response.status_code == 200, response.text
    payload = response.json()
    assert payload["content_type"] == "audio/wav"
    audio, rate = decode(base64.b64decode(payload["audio"]))
    duration = len(audio) / rate
    first, second = payload["sentences"]
    assert first["text"] == "The first sentence is here."
    assert 0 <= first["start"] < first["end"] < second["start"] < second["end"] <= duration + 0.01
    words = payload["words"]
    assert [w["word"] for w in words] == TEXT.split()
    assert all(a["end"] <= b["start"] for a, b in itertools.pairwise(words))
    # The pause between the sentences falls between their words, and it is quiet.
    assert words[4]["end"] <= first["end"] < second["start"] <= words[5]["start"]
    pause = loudness(audio, rate, first["end"], second["start"])
    for word in words:
        assert loudness(audio, rate, word["start"], word["end"]) > 3 * pause, word
    cues = list(srt.parse(payload["captions"]))
    assert [c.content for c in cues] == [first["text"], second["text"]]
    assert abs(cues[1].start.total_seconds() - second["start"]) < 0.002


def test_vtt_captions_and_errors(joe_transformer):
    vtt = timestamps(joe_transformer, captions="vtt").json()["captions"]
    assert vtt.startswith("WEBVTT") and vtt.count(" --> ") == 2
    assert timestamps(joe_transformer, captions="ass").status_code == 400
    refused = timestamps(joe_transformer, stream=True)
    assert refused.status_code == 400 and "'stream' must be false" in refused.text


def test_a_cue_cannot_break_the_subtitle_file(joe_transformer):
    response = timestamps(joe_transformer, input="Go --> there.\n\nNow.", captions="vtt")
    assert response.status_code == 200, response.text
    assert response.json()["captions"].count(" --> ") == 2


def test_word_times_come_from_the_models_durations(vits_server, log_dir):
    """The tiny VITS says every symbol in 4 frames of 256 samples at 16 kHz (64 ms), a blank
    between two: its durations put "hello" at 0.064-0.640 s and "world" at 0.832-1.408 s, which
    no estimate from the audio would give."""
    transformer = start_transformer(vits_server, log_dir, protocol="v2")
    try:
        response = timestamps(transformer, input="hello world", normalize=False)
        assert response.status_code == 200, response.text
        words = response.json()["words"]
    finally:
        transformer.stop()
    assert [w["word"] for w in words] == ["hello", "world"]
    assert [(w["start"], w["end"]) for w in words] == [(0.064, 0.64), (0.832, 1.408)]
