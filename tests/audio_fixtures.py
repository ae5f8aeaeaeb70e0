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


def decode(data: bytes) -> tuple[np.ndarray, int]:
    """Any encoded file the transformer makes (wav, mp3, opus, aac, flac, ogg), decoded to the
    end by FFmpeg (PyAV) as a player would: mono float32 samples and their rate (Opus decodes
    at 48 kHz whatever it was encoded from)."""
    import av

    with av.open(io.BytesIO(data)) as container:
        rate = container.streams.audio[0].rate
        to_float = av.AudioResampler(format="flt", layout="mono", rate=rate)
        frames = [
            converted.to_ndarray().reshape(-1)
            for frame in container.decode(audio=0)
            for converted in to_float.resample(frame)
        ]
    return (np.concatenate(frames) if frames else np.zeros(0, np.float32)), rate
