"""Decoding reference recordings sent for voice cloning, in process and within limits."""

import hashlib
import io

import numpy as np
import soundfile

from predictor.engines import ReferenceAudio

MIN_REFERENCE_SECONDS = 1.0
"""Shorter recordings carry too little of a voice to clone it from."""
FORMATS = "wav, flac, ogg/vorbis, ogg/opus or mp3"


class ReferenceAudioError(ValueError):
    """Reference audio that cannot be used; the message says why and what is allowed."""


def decode_reference(
    data: bytes, label: str, max_seconds: float, min_seconds: float = MIN_REFERENCE_SECONDS
) -> ReferenceAudio:
    """Decode an encoded recording (wav, flac, ogg, mp3) to mono float32.

    `label` names the item in error messages, e.g. "speaker_wav[0]".
    """
    if not data:
        raise ReferenceAudioError(f"{label} is empty; send a {FORMATS} recording")
    try:
        with soundfile.SoundFile(io.BytesIO(data)) as file:
            seconds = file.frames / file.samplerate if file.samplerate else 0.0
            if seconds > max_seconds:
                raise ReferenceAudioError(
                    f"{label} is {seconds:.1f} s long; at most {max_seconds:g} s is allowed"
                )
            samples = file.read(dtype="float32", always_2d=True)
            sample_rate = file.samplerate
    except soundfile.LibsndfileError as exc:
        raise ReferenceAudioError(
            f"{label} does not decode as audio ({exc}); send a {FORMATS} recording"
        ) from exc
    mono = samples.mean(axis=1).astype(np.float32)
    seconds = len(mono) / sample_rate
    if seconds < min_seconds:
        raise ReferenceAudioError(
            f"{label} is {seconds:.2f} s long; at least {min_seconds:g} s is needed "
            "(6 s or more of clear speech clones best)"
        )
    return ReferenceAudio(mono, sample_rate, hashlib.sha256(data).hexdigest())
