"""The predictor's V2 contract: tensor and parameter names, and the limits on each field.

Plain values only, no heavy imports: the transformer imports this module to build its requests.
"""

from dataclasses import dataclass

TEXT_INPUT = "text"
"""BYTES [N]: UTF-8 texts, already normalized."""
SPEAKER_WAV_INPUT = "speaker_wav"
"""BYTES [K], optional: reference recordings (wav, flac, ogg, mp3) to clone a voice from."""
AUDIO_OUTPUT = "audio"
"""FP32 [N, T]: mono PCM in [-1, 1], zero-padded to the longest item."""
AUDIO_LENGTH_OUTPUT = "audio_length"
"""INT32 [N]: how many samples of each row of `audio` are valid."""
WORD_TIMES_OUTPUT = "word_times"
"""BYTES [N], only when asked for (the `word_times` parameter) and the model has durations: for
each item a UTF-8 JSON array of [start, end] seconds, one per whitespace-separated word."""

SPEAKER_PARAMETER = "speaker"
LANGUAGE_PARAMETER = "language"
SPEED_PARAMETER = "speed"
WORD_TIMES_PARAMETER = "word_times"

SAMPLE_RATE_PARAMETER = "sample_rate"
MODEL_VERSION_PARAMETER = "model_version"
MODEL_VERSION_HEADER = "x-model-version"

SPEED_RANGE = (0.25, 4.0)
MIB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """What one request may ask for; each is a server flag."""

    max_text_chars: int = 5000
    """Characters in one `text` item."""
    max_batch_size: int = 16
    """Items in the `text` input."""
    max_references: int = 8
    """Items in the `speaker_wav` input."""
    max_reference_seconds: float = 30.0
    """Duration of one reference recording."""
    max_reference_bytes: int = 10 * MIB
    """Size of one encoded reference recording."""
    max_request_bytes: int = 32 * MIB
    """Size of one request body (REST) or message (gRPC): a 413 / RESOURCE_EXHAUSTED above."""
    max_response_bytes: int = 128 * MIB
    """Size of one response's audio (4 bytes a sample in binary, about 24 in JSON)."""
