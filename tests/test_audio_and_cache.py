"""Encoders (decode what was encoded and compare), resampling, the streaming header, the cache."""

import io

import numpy as np
import pytest
import soundfile

from transformer.audio import FORMATS, encode, encoding_rate, resample, streaming_wav_header
from transformer.cache import ByteBoundedLRU
from transformer.speech import Limits, SpeechRequestError, build_request


def tone(seconds: float, rate: int, hz: float = 440.0) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (0.5 * np.sin(2 * np.pi * hz * t)).astype(np.float32)


def dominant_hz(audio: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(audio))
    return float(np.fft.rfftfreq(len(audio), 1 / rate)[np.argmax(spectrum)])


@pytest.mark.parametrize("name", ["wav", "flac", "ogg", "opus", "mp3"])
def test_each_format_decodes_back_to_the_same_tone(name):
    audio_format = FORMATS[name]
    rate = encoding_rate(audio_format, 22050)
    source = tone(1.0, rate)
    data = encode(source, rate, audio_format)
    decoded, decoded_rate = soundfile.read(io.BytesIO(data), dtype="float32")
    assert decoded_rate == rate
    assert abs(len(decoded) - len(source)) < 0.06 * rate  # codec padding
    assert abs(dominant_hz(decoded, rate) - 440) < 5
    if name in ("wav", "flac"):
        assert np.max(np.abs(decoded - source)) < 1e-4  # lossless, 16-bit


def test_pcm_is_raw_16_bit_little_endian():
    data = encode(np.array([0.0, 0.5, -1.0, 1.0], dtype=np.float32), 16000, FORMATS["pcm"])
    assert np.frombuffer(data, "<i2").tolist() == [0, 16384, -32767, 32767]


def test_out_of_range_samples_are_clipped_not_wrapped():
    data = encode(np.array([2.0, -3.0], dtype=np.float32), 16000, FORMATS["pcm"])
    assert np.frombuffer(data, "<i2").tolist() == [32767, -32767]


def test_opus_and_mp3_encode_at_a_rate_they_support():
    assert encoding_rate(FORMATS["opus"], 22050) == 24000
    assert encoding_rate(FORMATS["mp3"], 22050) == 22050
    assert encoding_rate(FORMATS["wav"], 22050) == 22050


def test_resampling_keeps_pitch_and_duration():
    resampled = resample(tone(1.0, 22050), 22050, 16000)
    assert len(resampled) == 16000
    assert abs(dominant_hz(resampled, 16000) - 440) < 2


def test_streaming_wav_header_is_a_valid_wav_prefix():
    pcm = encode(tone(0.5, 16000), 16000, FORMATS["pcm"])
    header = streaming_wav_header(16000)
    assert len(header) == 44
    decoded, rate = soundfile.read(io.BytesIO(header + pcm), dtype="float32")
    assert rate == 16000 and len(decoded) == 8000


def test_cache_evicts_least_recently_used_by_bytes():
    cache = ByteBoundedLRU[str](max_bytes=10)
    cache.put("a", "A", 4)
    cache.put("b", "B", 4)
    assert cache.get("a") == "A"  # a is now the most recent
    cache.put("c", "C", 4)  # 12 bytes: b goes
    assert cache.get("b") is None
    assert cache.get("a") == "A" and cache.get("c") == "C"
    cache.put("huge", "H", 11)  # larger than the budget: not kept
    assert cache.get("huge") is None
    stats = cache.stats()
    assert (stats.entries, stats.size_bytes) == (2, 8)
    assert (stats.hits, stats.misses) == (3, 2)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"text": " "}, "'text' is empty"),
        ({"text": "x" * 11}, "at most 10 are allowed"),
        (
            {"audio_format": "aac"},
            "unknown format 'aac'; available: wav, flac, ogg, opus, mp3, pcm",
        ),
        ({"speed": 5}, "'speed' must be a number from 0.25 to 4"),
        ({"speed": "quick"}, "'speed' must be a number"),
        ({"sample_rate": 4000}, "'sample_rate' must be a whole number from 8000 to 48000"),
        ({"sample_rate": 16000.5}, "'sample_rate' must be a whole number"),
        ({"normalize_text": "maybe"}, "'normalize' must be true or false"),
        ({"voice": ""}, "'voice' must be a non-empty string"),
        ({"language": 7}, "'language' must be a non-empty string"),
    ],
)
def test_bad_options_name_the_field_and_what_is_allowed(kwargs, message):
    kwargs = {"text": "hello", **kwargs}
    with pytest.raises(SpeechRequestError) as error:
        build_request(kwargs.pop("text"), limits=Limits(max_input_chars=10), **kwargs)
    assert message in str(error.value)


def test_options_accept_strings_as_grpc_sends_them():
    request = build_request(
        "hi",
        speed="1.5",
        sample_rate="16000",
        normalize_text="false",
        audio_format="MP3",
        limits=Limits(),
    )
    assert (request.speed, request.sample_rate, request.normalize) == (1.5, 16000, False)
    assert request.audio_format.name == "mp3"
