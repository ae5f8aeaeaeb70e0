"""The real transformer in front of real predictors, called as users do."""

import base64
import io
import json

import httpx
import numpy as np
import openai
import pytest
import soundfile
import tritonclient.grpc as triton_grpc
import tritonclient.http as triton_http

from tests.servers import start_predictor, start_transformer
from tests.speech_recognition import fraction_recognized, transcribe


def v2_json(server, text: str, **parameters) -> httpx.Response:
    body = {
        "inputs": [{"name": "text", "shape": [1], "datatype": "BYTES", "data": [text]}],
        "parameters": parameters,
    }
    return httpx.post(f"{server.http_url}/v2/models/{server.name}/infer", json=body, timeout=120)


def decode(data: bytes) -> tuple[np.ndarray, int]:
    return soundfile.read(io.BytesIO(data), dtype="float32")


def json_audio(response: httpx.Response) -> tuple[bytes, dict]:
    assert response.status_code == 200, response.text
    payload = response.json()
    output = payload["outputs"][0]
    assert output["parameters"]["content_encoding"] == "base64"
    return base64.b64decode(output["data"][0]), payload["parameters"]


def test_v2_json_returns_a_wav_with_its_description(joe_transformer):
    data, parameters = json_audio(v2_json(joe_transformer, "Hello world. This is a test."))
    audio, rate = decode(data)
    assert parameters["content_type"] == "audio/wav"
    assert rate == parameters["sample_rate"] == 22050
    assert abs(float(parameters["duration_seconds"]) - len(audio) / rate) < 0.01
    assert parameters["model_version"].startswith("piper-")


@pytest.mark.parametrize(
    ("audio_format", "content_type"),
    [
        ("wav", "audio/wav"),
        ("flac", "audio/flac"),
        ("ogg", "audio/ogg"),
        ("opus", "audio/ogg; codecs=opus"),
        ("mp3", "audio/mpeg"),
    ],
)
def test_every_format_decodes(joe_transformer, audio_format, content_type):
    data, parameters = json_audio(v2_json(joe_transformer, "Hello there.", format=audio_format))
    assert parameters["content_type"] == content_type
    audio, rate = decode(data)
    assert rate == parameters["sample_rate"]
    assert 0.3 < len(audio) / rate < 3


def test_pcm_and_resampling(joe_transformer):
    data, parameters = json_audio(
        v2_json(joe_transformer, "Hello there.", format="pcm", sample_rate=16000)
    )
    assert parameters["sample_rate"] == 16000 and parameters["content_type"] == "audio/pcm"
    assert abs(len(data) / 2 - float(parameters["duration_seconds"]) * 16000) <= 16


def test_tritonclient_http_binary_and_grpc_get_raw_file_bytes(joe_transformer):
    text = np.array([b"Good morning."], dtype=np.object_)
    http_client = triton_http.InferenceServerClient(f"127.0.0.1:{joe_transformer.http_port}")
    tensor = triton_http.InferInput("text", [1], "BYTES")
    tensor.set_data_from_numpy(text)
    result = http_client.infer(
        "joe",
        [tensor],
        outputs=[triton_http.InferRequestedOutput("audio", binary_data=True)],
        parameters={"format": "flac"},
    )
    flac = result.as_numpy("audio")[0]
    assert decode(flac)[1] == 22050
    grpc_client = triton_grpc.InferenceServerClient(f"127.0.0.1:{joe_transformer.grpc_port}")
    tensor = triton_grpc.InferInput("text", [1], "BYTES")
    tensor.set_data_from_numpy(text)
    result = grpc_client.infer("joe", [tensor], parameters={"format": "wav", "speed": "1.2"})
    wav = result.as_numpy("audio")[0]
    assert wav[:4] == b"RIFF"
    assert result.get_response().parameters["content_type"].string_param == "audio/wav"


def test_rest_predictor_protocol_works_too(joe_transformer_rest):
    data, _ = json_audio(v2_json(joe_transformer_rest, "Hello over REST."))
    assert decode(data)[1] == 22050


def test_numbers_are_said_as_words(joe_transformer):
    """Piper through the transformer: "I have 3 apples" comes back as words."""
    data, _ = json_audio(v2_json(joe_transformer, "I have 3 apples and 2 oranges."))
    audio, rate = decode(data)
    heard = transcribe(audio, rate)
    assert fraction_recognized("I have three apples", heard) >= 0.75, heard
    raw, _ = json_audio(v2_json(joe_transformer, "I have 3 apples.", normalize=False))
    assert raw != data


def test_ssml_breaks_lengthen_the_audio(joe_transformer):
    plain, _ = json_audio(v2_json(joe_transformer, "<speak>One. Two.</speak>"))
    paused, _ = json_audio(v2_json(joe_transformer, '<speak>One. <break time="2s"/> Two.</speak>'))
    assert len(decode(paused)[0]) - len(decode(plain)[0]) > 1.5 * 22050


def test_openai_client_gets_audio_with_the_right_content_type(joe_transformer):
    client = openai.OpenAI(base_url=f"{joe_transformer.http_url}/v1", api_key="unused")
    response = client.audio.speech.create(
        model="joe", voice="alloy", input="Hello from the OpenAI client.", response_format="wav"
    )
    assert response.response.headers["content-type"] == "audio/wav"
    assert response.response.headers["x-model-version"].startswith("piper-")
    audio, rate = decode(response.content)
    assert rate == 22050 and len(audio) > rate // 2


def test_openai_default_format_is_mp3(joe_transformer):
    response = httpx.post(
        f"{joe_transformer.http_url}/v1/audio/speech",
        json={"model": "joe", "input": "Hi."},
        timeout=60,
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "audio/mpeg"


def test_normalize_route_shows_what_the_model_reads(joe_transformer):
    response = httpx.post(
        f"{joe_transformer.http_url}/v1/normalize",
        json={"input": "আমি ১০টা আপেল খাই। ১৯৭১ সালে।", "language": "bn"},
    )
    body = response.json()
    assert body["sentences"][0]["text"] == "আমি দশটা আপেল খাই।"
    assert "উনিশশো একাত্তর" in body["text"]


def test_bangla_through_the_transformer_to_xtts(bangla_transformer):
    data, parameters = json_audio(
        v2_json(bangla_transformer, "আমার ফোন নম্বর ০১৭১২৩৪৫৬৭৮। সময় ১০:৩০।")
    )
    audio, rate = decode(data)
    assert rate == 24000 and len(audio) > 0
    assert parameters["model_version"] == "xtts-test-1"


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        ({"format": "m4a"}, "unknown format 'm4a'; available: wav, mp3, opus, aac, flac, ogg, pcm"),
        ({"speed": "9"}, "'speed' must be a number from 0.25 to 4"),
        ({"sample_rate": 1000}, "'sample_rate' must be a whole number from 8000 to 48000"),
        ({"voice": "nobody"}, "unknown voice 'nobody'"),
        ({"language": "fr"}, "unknown language 'fr'; available: en"),
    ],
)
def test_bad_v2_options_are_400s(joe_transformer, parameters, message):
    response = v2_json(joe_transformer, "Hello.", **parameters)
    assert response.status_code == 400
    assert message in response.json()["error"]


def test_malformed_ssml_is_a_400_naming_the_problem(joe_transformer):
    response = v2_json(joe_transformer, "<speak><p>unclosed</speak>")
    assert response.status_code == 400
    assert "malformed SSML: mismatched tag" in response.json()["error"]


def test_bad_openai_requests_are_400s_in_openai_shape(joe_transformer):
    url = f"{joe_transformer.http_url}/v1/audio/speech"
    cases = [
        (
            {"input": "hi", "response_format": "m4a"},
            "'response_format': Input should be 'wav', 'mp3', 'opus', 'aac', 'flac', 'ogg' or "
            "'pcm'",
        ),
        ({"input": ""}, "'input' is empty"),
        ({"input": "hi", "colour": "red"}, "unknown field 'colour'; allowed: input, model"),
        ({"input": "hi", "stream_format": "text"}, "'stream_format': Input should be 'audio' or"),
        (
            {"input": "hi", "stream": False, "stream_format": "sse"},
            "'stream_format' 'sse' streams; it cannot be used with 'stream': false",
        ),
    ]
    for body, message in cases:
        response = httpx.post(url, json=body, timeout=60)
        assert response.status_code == 400, body
        assert message in response.json()["error"]["message"]
    with pytest.raises(openai.BadRequestError, match="speed"):
        openai.OpenAI(base_url=f"{joe_transformer.http_url}/v1", api_key="x").audio.speech.create(
            model="joe", voice="alloy", input="hi", speed=10
        )


def test_v2_input_errors(joe_transformer):
    url = f"{joe_transformer.http_url}/v2/models/joe/infer"
    two = {"inputs": [{"name": "text", "shape": [2], "datatype": "BYTES", "data": ["a", "b"]}]}
    response = httpx.post(url, json=two)
    assert response.status_code == 400 and "send one text per request" in response.json()["error"]
    wrong = {"inputs": [{"name": "words", "shape": [1], "datatype": "BYTES", "data": ["a"]}]}
    response = httpx.post(url, json=wrong)
    assert (
        response.status_code == 400 and "inputs must be exactly 'text'" in response.json()["error"]
    )


def test_non_utf8_text_over_binary_rest_is_a_400(joe_transformer):
    client = triton_http.InferenceServerClient(f"127.0.0.1:{joe_transformer.http_port}")
    tensor = triton_http.InferInput("text", [1], "BYTES")
    tensor.set_data_from_numpy(np.array([b"caf\xe9"], dtype=np.object_))
    with pytest.raises(Exception, match="not valid UTF-8") as error:
        client.infer("joe", [tensor])
    assert error.value.status() == "400"


def test_cache_answers_repeats_and_an_unreachable_predictor_is_a_503(piper_dir, log_dir):
    predictor = start_predictor(piper_dir, "cached", log_dir)
    transformer = start_transformer(predictor, log_dir)
    try:
        first = v2_json(transformer, "Say this once.")
        assert first.status_code == 200
        predictor.stop()
        repeat = v2_json(transformer, "Say this once.")
        assert repeat.status_code == 200 and repeat.json() == first.json() | {
            "id": repeat.json()["id"]
        }
        other = v2_json(transformer, "Something new.")
        assert other.status_code == 503
        assert "predictor 127.0.0.1" in other.json()["error"]
        response = httpx.post(f"{transformer.http_url}/v1/audio/speech", json={"input": "New."})
        assert response.status_code == 503
        assert response.json()["error"]["type"] == "service_unavailable"
    finally:
        transformer.stop()
        predictor.stop()


def test_transformer_imports_no_torch():
    import subprocess
    import sys

    code = (
        "import json, sys, transformer.__main__; print(json.dumps(sorted(m for m in sys.modules "
        "if m.split('.')[0] in ('torch', 'torchaudio', 'TTS', 'piper', 'predictor'))))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert json.loads(result.stdout) == []
