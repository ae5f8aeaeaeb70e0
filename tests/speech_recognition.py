"""Recognising English speech with pocketsphinx's bundled model, to check real words come out."""

import re

import numpy as np
import soxr
from pocketsphinx import Decoder

RECOGNIZER_SAMPLE_RATE = 16000


def transcribe(audio: np.ndarray, sample_rate: int) -> str:
    """What pocketsphinx hears in mono float PCM."""
    resampled = soxr.resample(audio.astype(np.float32), sample_rate, RECOGNIZER_SAMPLE_RATE)
    pcm = (np.clip(resampled, -1.0, 1.0) * 32767).astype(np.int16).tobytes()
    decoder = Decoder(samprate=RECOGNIZER_SAMPLE_RATE)
    decoder.start_utt()
    decoder.process_raw(pcm, full_utt=True)
    decoder.end_utt()
    hypothesis = decoder.hyp()
    return hypothesis.hypstr if hypothesis else ""


def words(text: str) -> list[str]:
    return re.findall(r"[a-z']+", text.lower())


def fraction_recognized(expected: str, heard: str) -> float:
    """Share of the expected words that were heard."""
    wanted, got = words(expected), set(words(heard))
    return sum(word in got for word in wanted) / len(wanted)
