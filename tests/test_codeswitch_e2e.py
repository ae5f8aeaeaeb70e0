"""Code-switching through running servers: the transformer asks the predictor which languages
its model speaks, and says, transliterates or refuses mixed-script text accordingly."""

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.audio_fixtures import decode
from tests.servers import PredictorServer, start_transformer


@pytest.fixture(scope="module")
def bilingual_transformer(xtts_server: PredictorServer, log_dir: Path) -> Iterator[PredictorServer]:
    """Bangla by default, in front of the tiny XTTS, which speaks Bangla and English; over REST,
    so the transformer reads the model's languages."""
    server = start_transformer(xtts_server, log_dir, "--default_language", "bn", protocol="v2")
    yield server
    server.stop()


def normalized(server: PredictorServer, text: str, **fields) -> dict:
    response = httpx.post(f"{server.http_url}/v1/normalize", json={"input": text, **fields})
    assert response.status_code == 200, response.text
    return response.json()


def speech(server: PredictorServer, text: str, **fields) -> httpx.Response:
    body = {"model": server.name, "input": text, "response_format": "wav", **fields}
    return httpx.post(f"{server.http_url}/v1/audio/speech", json=body, timeout=120)


def test_a_bilingual_model_says_each_segment_in_its_language(bilingual_transformer):
    body = normalized(bilingual_transformer, "আমি Google-এ ১০টা কাজ করি। Thank you!")
    assert [(s.get("text"), s.get("language")) for s in body["sentences"]] == [
        ("আমি", "bn"),
        ("Google-", "en"),
        ("এ দশটা কাজ করি।", "bn"),
        (None, None),  # the pause between the two sentences
        ("Thank you!", "en"),
    ]
    response = speech(bilingual_transformer, "আমি Google-এ ১০টা কাজ করি। Thank you!")
    assert response.status_code == 200, response.text
    audio, rate = decode(response.content)
    assert rate == 24000 and len(audio) > 0


def test_an_english_voice_romanizes_a_few_bangla_words(joe_transformer_rest):
    body = normalized(joe_transformer_rest, "The word আমি means me.", language="en")
    assert body["text"] == "The word ami means me."
    response = speech(joe_transformer_rest, "The word আমি means me.")
    assert response.status_code == 200, response.text
    assert len(decode(response.content)[0]) > 0


def test_bangla_text_to_an_english_voice_is_a_400_naming_its_languages(joe_transformer_rest):
    response = speech(joe_transformer_rest, "আমার সোনার বাংলা, আমি তোমায় ভালোবাসি।")
    assert response.status_code == 400
    message = response.json()["error"]["message"]
    assert "mostly in Bengali script" in message and "it speaks en;" in message
    v2 = httpx.post(
        f"{joe_transformer_rest.infer_url}",
        json={
            "inputs": [
                {"name": "text", "shape": [1], "datatype": "BYTES", "data": ["আমার সোনার বাংলা"]}
            ]
        },
    )
    assert v2.status_code == 400 and "mostly in Bengali script" in v2.text
