"""Audio formats a client may ask for, pauses, and resampling (soxr)."""

from dataclasses import dataclass

import numpy as np
import soxr


@dataclass(frozen=True)
class AudioFormat:
    """An output format a client can ask for."""

    name: str
    """The request value: "wav", "mp3", ..."""
    content_type: str
    """The HTTP Content-Type of the encoded file."""
    sample_rates: tuple[int, ...] = ()
    """Sample rates the codec supports; empty means any."""


_MPEG_RATES = (48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000)
FORMATS = {
    f.name: f
    for f in (
        AudioFormat("wav", "audio/wav"),
        AudioFormat("mp3", "audio/mpeg", _MPEG_RATES),
        AudioFormat("opus", "audio/ogg; codecs=opus", (48000, 24000, 16000, 12000, 8000)),
        AudioFormat("aac", "audio/aac", _MPEG_RATES),
        AudioFormat("flac", "audio/flac"),
        AudioFormat("ogg", "audio/ogg"),
        AudioFormat("pcm", "audio/pcm"),
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


class Resampler:
    """Resamples one continuous signal given piece by piece, without seams between the pieces
    (soxr's streaming resampler keeps the filter's state from one piece to the next)."""

    def __init__(self, from_rate: int, to_rate: int) -> None:
        self._stream = (
            None
            if from_rate == to_rate
            else soxr.ResampleStream(from_rate, to_rate, 1, dtype="float32")
        )

    def __call__(self, audio: np.ndarray, last: bool = False) -> np.ndarray:
        """The next piece at the new rate; `last` flushes what the filter still holds."""
        audio = audio.astype(np.float32, copy=False)
        if self._stream is None:
            return audio
        return self._stream.resample_chunk(audio, last=last)
