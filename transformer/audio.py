"""Audio out: join pieces with pauses, resample, and encode the file a client asked for.

Everything is done in process by libsndfile (through soundfile) and soxr.
"""

import io
from dataclasses import dataclass

import numpy as np
import soundfile
import soxr


@dataclass(frozen=True)
class AudioFormat:
    """An output format a client can ask for."""

    name: str
    """The request value: "wav", "mp3", ..."""
    content_type: str
    """The HTTP Content-Type of the encoded file."""
    container: str | None
    """libsndfile's format name; None for raw PCM."""
    subtype: str | None
    """libsndfile's subtype (codec)."""
    sample_rates: tuple[int, ...] = ()
    """Sample rates the codec supports; empty means any."""


FORMATS = {
    f.name: f
    for f in (
        AudioFormat("wav", "audio/wav", "WAV", "PCM_16"),
        AudioFormat("flac", "audio/flac", "FLAC", "PCM_16"),
        AudioFormat("ogg", "audio/ogg", "OGG", "VORBIS"),
        AudioFormat(
            "opus", "audio/ogg; codecs=opus", "OGG", "OPUS", (48000, 24000, 16000, 12000, 8000)
        ),
        AudioFormat(
            "mp3",
            "audio/mpeg",
            "MP3",
            "MPEG_LAYER_III",
            (48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000),
        ),
        AudioFormat("pcm", "audio/pcm", None, None),
    )
}
SAMPLE_RATE_RANGE = (8000, 48000)


def silence(seconds: float, sample_rate: int) -> np.ndarray:
    """A pause."""
    return np.zeros(round(seconds * sample_rate), dtype=np.float32)


def resample(audio: np.ndarray, from_rate: int, to_rate: int) -> np.ndarray:
    """High-quality resampling (soxr); a no-op when the rates agree."""
    if from_rate == to_rate or len(audio) == 0:
        return audio.astype(np.float32, copy=False)
    return soxr.resample(audio, from_rate, to_rate).astype(np.float32)


def encoding_rate(audio_format: AudioFormat, wanted: int) -> int:
    """The sample rate to encode at: `wanted`, or the nearest one the codec supports above it."""
    if not audio_format.sample_rates or wanted in audio_format.sample_rates:
        return wanted
    higher = [rate for rate in audio_format.sample_rates if rate >= wanted]
    return min(higher) if higher else max(audio_format.sample_rates)


def encode(audio: np.ndarray, sample_rate: int, audio_format: AudioFormat) -> bytes:
    """Mono float PCM in [-1, 1] as a complete file (or raw 16-bit little-endian PCM)."""
    pcm = np.clip(audio, -1.0, 1.0).astype(np.float32)
    if audio_format.container is None:
        return (pcm * 32767.0).round().astype("<i2").tobytes()
    buffer = io.BytesIO()
    soundfile.write(
        buffer, pcm, sample_rate, format=audio_format.container, subtype=audio_format.subtype
    )
    return buffer.getvalue()


def streaming_wav_header(sample_rate: int) -> bytes:
    """A WAV header for 16-bit mono PCM of unknown length, for streams (sizes set to the max)."""
    byte_rate = sample_rate * 2
    return (
        b"RIFF"
        + (0xFFFFFFFF).to_bytes(4, "little")
        + b"WAVEfmt "
        + (16).to_bytes(4, "little")
        + (1).to_bytes(2, "little")
        + (1).to_bytes(2, "little")
        + sample_rate.to_bytes(4, "little")
        + byte_rate.to_bytes(4, "little")
        + (2).to_bytes(2, "little")
        + (16).to_bytes(2, "little")
        + b"data"
        + (0xFFFFFFFF).to_bytes(4, "little")
    )
