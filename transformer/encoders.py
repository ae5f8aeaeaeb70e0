"""Encoders that turn PCM, given piece by piece, into one file of the format a client asked for.

An encoder keeps its state from one piece to the next, so a streamed response is one valid file:
one WAV header, one continuous MP3 stream, one Ogg logical stream with its granule positions
counting on, one FLAC stream. Whole files come from the same encoders writing to memory, where
the muxers go back to fill in what a stream cannot know (sizes, the MP3 Xing header, FLAC's total
samples).

MP3, Opus, AAC and FLAC go through FFmpeg's encoders and muxers (PyAV): the field's encoders with
proper framing (LAME, libopus with Ogg granule positions and pre-skip, ADTS headers). Vorbis goes
through libsndfile (soundfile), as PyAV's wheels do not build libvorbis. WAV and raw PCM need no
codec: 16-bit little-endian samples behind a 44-byte header.
"""

import io
from abc import ABC, abstractmethod

import av
import numpy as np
import soundfile

from transformer.audio import AudioFormat

UNKNOWN_SIZE = 0xFFFFFFFF
"""The RIFF and data sizes of a streamed WAV header, whose length is not known (as OpenAI's)."""
_AV_CODECS = {
    "mp3": ("mp3", "libmp3lame"),
    "opus": ("ogg", "libopus"),
    "aac": ("adts", "aac"),
    "flac": ("flac", "flac"),
}
"""Format name: (FFmpeg muxer, FFmpeg encoder)."""
OGG_PAGE_MICROSECONDS = 100_000
"""A streamed Ogg page holds at most this much audio (FFmpeg's default, a second, would hold a
short sentence back until the next one)."""


class Encoder(ABC):
    """One file, fed mono float PCM in [-1, 1] at a fixed sample rate."""

    @abstractmethod
    def write(self, audio: np.ndarray) -> bytes:
        """Take the next piece; return the bytes of the file ready so far (maybe none)."""

    @abstractmethod
    def close(self) -> bytes:
        """End the file; return its last bytes."""


def open_encoder(audio_format: AudioFormat, sample_rate: int, *, streaming: bool) -> Encoder:
    """An encoder for `audio_format` at `sample_rate`. Streaming, bytes leave as soon as the codec
    has them and lengths stay unknown; otherwise everything comes from `close`, with lengths."""
    if audio_format.name == "pcm":
        return _PcmEncoder()
    if audio_format.name == "wav":
        return _WavEncoder(sample_rate, streaming)
    if audio_format.name == "ogg":
        return _VorbisEncoder(sample_rate, streaming)
    muxer, codec = _AV_CODECS[audio_format.name]
    return _AvEncoder(muxer, codec, sample_rate, streaming)


def encode(audio: np.ndarray, sample_rate: int, audio_format: AudioFormat) -> bytes:
    """`audio` as one whole file."""
    encoder = open_encoder(audio_format, sample_rate, streaming=False)
    return encoder.write(audio) + encoder.close()


def pcm16(audio: np.ndarray) -> bytes:
    """16-bit little-endian samples."""
    return (_clean(audio) * 32767.0).round().astype("<i2").tobytes()


def _clean(audio: np.ndarray) -> np.ndarray:
    """Float32 in [-1, 1]; a model's NaN or infinity is silence or full scale, not an error."""
    return np.clip(np.nan_to_num(audio, nan=0.0, posinf=1.0, neginf=-1.0), -1.0, 1.0).astype(
        np.float32
    )


def wav_header(sample_rate: int, data_bytes: int | None) -> bytes:
    """A 44-byte header for 16-bit mono PCM; `None` bytes of data: unknown (a stream)."""
    data = UNKNOWN_SIZE if data_bytes is None else data_bytes
    riff = UNKNOWN_SIZE if data_bytes is None else 36 + data_bytes
    return (
        b"RIFF"
        + riff.to_bytes(4, "little")
        + b"WAVEfmt "
        + (16).to_bytes(4, "little")
        + (1).to_bytes(2, "little")  # PCM
        + (1).to_bytes(2, "little")  # mono
        + sample_rate.to_bytes(4, "little")
        + (sample_rate * 2).to_bytes(4, "little")
        + (2).to_bytes(2, "little")
        + (16).to_bytes(2, "little")
        + b"data"
        + data.to_bytes(4, "little")
    )


class _PcmEncoder(Encoder):
    def write(self, audio: np.ndarray) -> bytes:
        return pcm16(audio)

    def close(self) -> bytes:
        return b""


class _WavEncoder(Encoder):
    def __init__(self, sample_rate: int, streaming: bool) -> None:
        self._sample_rate = sample_rate
        self._streaming = streaming
        self._started = False
        self._held: list[bytes] = []

    def write(self, audio: np.ndarray) -> bytes:
        data = pcm16(audio)
        if not self._streaming:
            self._held.append(data)
            return b""
        if self._started:
            return data
        self._started = True
        return wav_header(self._sample_rate, None) + data

    def close(self) -> bytes:
        if self._streaming:
            return b"" if self._started else wav_header(self._sample_rate, None)
        data = b"".join(self._held)
        return wav_header(self._sample_rate, len(data)) + data


class _StreamSink:
    """Where a streaming encoder writes: not seekable, so muxers write nothing they would have
    to come back to; `take` hands over what was written since the last call."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    def write(self, data: bytes) -> int:
        self._buffer += data
        return len(data)

    def take(self) -> bytes:
        data = bytes(self._buffer)
        self._buffer.clear()
        return data


class _AvEncoder(Encoder):
    def __init__(self, muxer: str, codec: str, sample_rate: int, streaming: bool) -> None:
        self._sample_rate = sample_rate
        self._sink: _StreamSink | io.BytesIO = _StreamSink() if streaming else io.BytesIO()
        options = {"page_duration": str(OGG_PAGE_MICROSECONDS)} if muxer == "ogg" else {}
        self._container = av.open(self._sink, "w", format=muxer, options=options)
        self._stream = self._container.add_stream(codec, rate=sample_rate, layout="mono")

    def write(self, audio: np.ndarray) -> bytes:
        if len(audio):
            samples = _clean(audio).reshape(1, -1)
            frame = av.AudioFrame.from_ndarray(samples, format="flt", layout="mono")
            frame.sample_rate = self._sample_rate
            self._mux(frame)
        return self._sink.take() if isinstance(self._sink, _StreamSink) else b""

    def close(self) -> bytes:
        self._mux(None)
        self._container.close()
        if isinstance(self._sink, _StreamSink):
            return self._sink.take()
        return self._sink.getvalue()

    def _mux(self, frame: av.AudioFrame | None) -> None:
        for packet in self._stream.encode(frame):
            self._container.mux(packet)


class _AppendOnly(io.RawIOBase):
    """A file libsndfile can stream to: it asks where it is and seeks there, never back."""

    def __init__(self) -> None:
        self._sink = _StreamSink()
        self._position = 0

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        self._position += len(data)
        return self._sink.write(bytes(data))

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        # libsndfile asks for the length by seeking to the end, which is where it is.
        target = offset if whence == io.SEEK_SET else self._position + offset
        if target != self._position:
            raise OSError("a streamed Vorbis file cannot seek back")
        return self._position

    def read(self, size: int = -1) -> bytes:  # type: ignore[override]
        return b""

    def take(self) -> bytes:
        return self._sink.take()


class _VorbisEncoder(Encoder):
    def __init__(self, sample_rate: int, streaming: bool) -> None:
        self._sink: _AppendOnly | io.BytesIO = _AppendOnly() if streaming else io.BytesIO()
        self._file = soundfile.SoundFile(
            self._sink, "w", sample_rate, 1, format="OGG", subtype="VORBIS"
        )

    def write(self, audio: np.ndarray) -> bytes:
        if len(audio):
            self._file.write(_clean(audio))
        return self._sink.take() if isinstance(self._sink, _AppendOnly) else b""

    def close(self) -> bytes:
        self._file.close()
        if isinstance(self._sink, _AppendOnly):
            return self._sink.take()
        return self._sink.getvalue()
