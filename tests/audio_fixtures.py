"""Reference recordings made in memory for cloning tests."""

import io

import numpy as np
import soundfile


def voice_like_recording(seconds: float, sample_rate: int = 16000, fmt: str = "WAV") -> bytes:
    """A harmonic tone with vibrato and a little noise: speech-shaped enough for the encoders."""
    t = np.arange(int(seconds * sample_rate)) / sample_rate
    pitch = 140 + 20 * np.sin(2 * np.pi * 3 * t)
    phase = 2 * np.pi * np.cumsum(pitch) / sample_rate
    signal = sum(np.sin(k * phase) / k for k in range(1, 6))
    rng = np.random.default_rng(7)
    audio = (0.2 * signal / 2.3 + 0.01 * rng.standard_normal(len(t))).astype(np.float32)
    buffer = io.BytesIO()
    soundfile.write(buffer, audio, sample_rate, format=fmt)
    return buffer.getvalue()
