"""Encoders (decode what was encoded and compare, whole and streamed), resampling, the cache."""

import io

import numpy as np
import pytest
import soundfile

from tests.audio_fixtures import decode
from transformer.audio import FORMATS, Resampler, encoding_rate, resample
from transformer.cache import ByteBoundedLRU
from transformer.encoders import encode, open_encoder, pcm16
from transformer.request import Limits, SpeechRequestError, build_request


def tone(seconds: float, rate: int, hz: float = 440.0) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (0.5 * np.sin(2 * np.pi * hz * t)).astype(np.float32)


def dominant_hz(audio: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(audio))
    return float(np.fft.rfftfreq(len(audio), 1 / rate)[np.argmax(spectrum)])


ENCODED = ["wav", "mp3", "opus", "aac", "flac", "ogg"]


@pytest.mark.parametrize("name", ENCODED)
def test_each_format_decodes_back_to_the_same_tone(name):
    audio_format = FORMATS[name]
    rate = encoding_rate(audio_format, 22050)
    source = tone(1.0, rate)
    data = encode(source, rate, audio_format)
    decoded, decoded_rate = decode(data)
    assert decoded_rate == (48000 if name == "opus" else rate)
    assert abs(len(decoded) / decoded_rate - 1.0) < 0.08  # codec priming and padding
    assert abs(dominant_hz(decoded, decoded_rate) - 440) < 5
    if name in ("wav", "flac"):
        assert np.max(np.abs(decoded - source)) < 1e-4  # lossless, 16-bit
    if name == "mp3":
        assert len(decoded) == len(source)  # the whole file's header states the encoder delay


def test_pcm_is_raw_16_bit_little_endian():
    data = pcm16(np.array([0.0, 0.5, -1.0, 1.0], dtype=np.float32))
    assert np.frombuffer(data, "<i2").tolist() == [0, 16384, -32767, 32767]


def test_out_of_range_samples_are_clipped_not_wrapped():
    data = pcm16(np.array([2.0, -3.0], dtype=np.float32))
    assert np.frombuffer(data, "<i2").tolist() == [32767, -32767]


def test_opus_and_mp3_encode_at_a_rate_they_support():
    assert encoding_rate(FORMATS["opus"], 22050) == 24000
    assert encoding_rate(FORMATS["mp3"], 22050) == 22050
    assert encoding_rate(FORMATS["wav"], 22050) == 22050


def test_resampling_keeps_pitch_and_duration():
    resampled = resample(tone(1.0, 22050), 22050, 16000)
    assert len(resampled) == 16000
    assert abs(dominant_hz(resampled, 16000) - 440) < 2


def streamed(name: str, pieces: list[np.ndarray], rate: int) -> list[bytes]:
    encoder = open_encoder(FORMATS[name], rate, streaming=True)
    return [encoder.write(piece) for piece in pieces] + [encoder.close()]


@pytest.mark.parametrize("name", ENCODED)
def test_a_streamed_file_is_one_file_that_decodes_to_the_end(name):
    """Sentences encoded one after another make one file: a player that stops at the first
    file's end (a second header, a second Ogg stream) would hear one sentence only."""
    rate = encoding_rate(FORMATS[name], 22050)
    sentences = [tone(0.7, rate, hz) for hz in (300, 440, 600)]
    chunks = streamed(name, sentences, rate)
    data = b"".join(chunks)
    decoded, decoded_rate = decode(data)
    whole, _ = decode(encode(np.concatenate(sentences), rate, FORMATS[name]))
    # An MP3 stream cannot carry the encoder delay that a whole file's header states.
    assert abs(len(decoded) - len(whole)) < 0.08 * decoded_rate
    last = decoded[-int(0.5 * decoded_rate) : -int(0.1 * decoded_rate)]
    assert abs(dominant_hz(last, decoded_rate) - 600) < 10  # the last sentence is heard
    header = {"wav": b"RIFF", "mp3": b"ID3", "opus": b"OpusHead", "aac": None}.get(name)
    if header is not None:
        assert data.count(header) == 1
    if name in ("opus", "ogg"):
        assert data.count(b"OggS\x00\x02") == 1  # one beginning-of-stream page


@pytest.mark.parametrize("name", ["wav", "mp3", "opus", "aac", "flac"])
def test_a_stream_sends_audio_before_it_ends(name):
    rate = encoding_rate(FORMATS[name], 22050)
    chunks = streamed(name, [tone(1.0, rate), tone(1.0, rate)], rate)
    assert len(chunks[0]) > 0 and len(chunks[1]) > 0


def test_a_streamed_wav_has_one_header_of_unknown_length():
    rate = 16000
    data = b"".join(streamed("wav", [tone(0.25, rate), tone(0.25, rate)], rate))
    assert data[4:8] == b"\xff\xff\xff\xff" and data[40:44] == b"\xff\xff\xff\xff"
    decoded, decoded_rate = soundfile.read(io.BytesIO(data), dtype="float32")
    assert decoded_rate == rate and len(decoded) == 8000


def test_streamed_resampling_has_no_seams():
    source = tone(1.0, 22050)
    resample_piecewise = Resampler(22050, 24000)
    pieces = [resample_piecewise(part) for part in np.array_split(source, 7)]
    pieces.append(resample_piecewise(np.zeros(0, np.float32), last=True))
    np.testing.assert_allclose(np.concatenate(pieces), resample(source, 22050, 24000), atol=1e-6)


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
            {"audio_format": "m4a"},
            "unknown format 'm4a'; available: wav, mp3, opus, aac, flac, ogg, pcm",
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
