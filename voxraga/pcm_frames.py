"""The predictor's streaming route: its path, headers, and the frames its body is made of.

`POST /v2/models/{name}/infer/stream` answers `application/octet-stream`, a body of frames:

- audio: a little-endian uint32 sample count n (n >= 1), then n little-endian float32 samples;
- end: n = 0, after the last audio frame of a complete stream;
- error: the marker 0xFFFFFFFF, a little-endian uint32 byte length, then a UTF-8 message; the
  body ends there.

A body that stops before an end or error frame was cut. No KServe import: the transformer's
predictor client reads these frames.
"""

import struct

import numpy as np

STREAM_PATH = "/v2/models/{model_name}/infer/stream"
"""The route, on the predictor's HTTP port."""
SAMPLE_RATE_HEADER = "x-sample-rate"
"""Response header: samples per second of every audio frame."""
MEDIA_TYPE = "application/octet-stream"

ERROR_MARKER = 0xFFFFFFFF
"""Where a sample count would be: an error message follows."""
MAX_FRAME_SAMPLES = 32 * 1024 * 1024
"""The most samples one audio frame may hold (128 MiB): a non-streaming engine sends a whole
text's audio as one frame, and no text the predictor accepts comes near."""
MAX_MESSAGE_BYTES = 4096
"""The longest error message, in UTF-8 bytes; longer ones are cut."""
END_FRAME = struct.pack("<I", 0)
"""The frame that ends a complete stream."""

_COUNT = struct.Struct("<I")
_SAMPLE = np.dtype("<f4")


class FramingError(ValueError):
    """Bytes that are not a valid frame stream; the message says what was wrong."""


class StreamFailedError(RuntimeError):
    """The stream ended with an error frame; the message is the server's."""


def audio_frame(samples: np.ndarray) -> bytes:
    """One audio frame of `samples` (mono PCM, 1 to MAX_FRAME_SAMPLES of them)."""
    samples = np.asarray(samples, dtype=_SAMPLE).reshape(-1)
    if not 0 < len(samples) <= MAX_FRAME_SAMPLES:
        raise ValueError(
            f"an audio frame holds 1 to {MAX_FRAME_SAMPLES} samples, got {len(samples)} "
            "(0 would read as the end of the stream)"
        )
    return _COUNT.pack(len(samples)) + samples.tobytes()


def error_frame(message: str) -> bytes:
    """The frame that ends a stream with `message`, cut to MAX_MESSAGE_BYTES."""
    data = message.encode()[:MAX_MESSAGE_BYTES].decode(errors="ignore").encode()
    return _COUNT.pack(ERROR_MARKER) + _COUNT.pack(len(data)) + data


class FrameDecoder:
    """Reads frames from a body as it arrives, in pieces of any size.

    `feed` returns the audio frames completed so far and raises FramingError at bytes that
    cannot be frames. An error frame raises StreamFailedError: at once, or, when the same bytes
    completed audio frames too, at the next `feed` or `finish`, so that no audio is lost.
    `finish`, once the body has ended, raises if the stream was not complete.
    """

    def __init__(self) -> None:
        self._buffer = bytearray()
        self.complete = False
        """Whether the end frame has been read: the stream is whole."""
        self.samples = 0
        """Samples read so far."""

    def feed(self, data: bytes) -> list[np.ndarray]:
        """The audio frames `data` completes, as float32 arrays, in order."""
        if self.complete and data:
            raise FramingError(f"{len(data)} bytes after the end frame")
        self._buffer += data
        frames = []
        while len(self._buffer) >= _COUNT.size:
            (count,) = _COUNT.unpack_from(self._buffer)
            if count == ERROR_MARKER:
                if self._error_is_whole() and not frames:
                    raise StreamFailedError(self._message())
                break
            if count == 0:
                self.complete = True
                if len(self._buffer) > _COUNT.size:
                    extra = len(self._buffer) - _COUNT.size
                    raise FramingError(f"{extra} bytes after the end frame")
                self._buffer.clear()
                break
            if count > MAX_FRAME_SAMPLES:
                raise FramingError(
                    f"a frame of {count} samples; at most {MAX_FRAME_SAMPLES} are allowed"
                )
            end = _COUNT.size + count * _SAMPLE.itemsize
            if len(self._buffer) < end:
                break
            # A slice of a bytearray is a copy: the buffer stays free to shrink.
            frame = np.frombuffer(self._buffer[_COUNT.size : end], dtype=_SAMPLE)
            frames.append(frame.astype(np.float32, copy=False))
            self.samples += count
            del self._buffer[:end]
        return frames

    def finish(self) -> None:
        """The body has ended: raise StreamFailedError for an error frame, even one cut short,
        and FramingError for a stream with no end frame."""
        if self.complete:
            return
        if len(self._buffer) >= _COUNT.size and _COUNT.unpack_from(self._buffer)[0] == ERROR_MARKER:
            whole = self._error_is_whole()
            raise StreamFailedError(self._message() + ("" if whole else " (cut off)"))
        raise FramingError(f"the stream was cut after {self.samples} samples: no end frame")

    def _error_is_whole(self) -> bool:
        header = 2 * _COUNT.size
        if len(self._buffer) < header:
            return False
        (length,) = _COUNT.unpack_from(self._buffer, _COUNT.size)
        return len(self._buffer) >= header + min(length, MAX_MESSAGE_BYTES)

    def _message(self) -> str:
        header = 2 * _COUNT.size
        if len(self._buffer) < header:
            return "the stream failed"
        (length,) = _COUNT.unpack_from(self._buffer, _COUNT.size)
        message = bytes(self._buffer[header : header + min(length, MAX_MESSAGE_BYTES)])
        return message.decode(errors="replace") or "the stream failed"
