"""Captions: word and sentence times from the audio, and subtitle files (SRT, WebVTT).

Sentence times are exact: where each sentence's audio lies in the output. Word times come
from the model's own durations where it has them (Coqui VITS on torch, Piper: the predictor's
`word_times` output); otherwise they are estimated within their sentence: its voiced stretch
(its audio above a fraction of its peak, so the silence a model leaves at the edges is not
given to a word) is shared among its words by their length, with a little for each gap between
them. The words are those the model said (normalized: "3" is "three").
"""

import dataclasses
import datetime

import numpy as np
import srt
import webvtt

from transformer.pipeline import SentenceSpan

VOICED_FRACTION = 0.05
"""A sample louder than this share of its sentence's peak is speech."""
GAP_WEIGHT = 1.0
"""What the gap between two words weighs, in characters."""


@dataclasses.dataclass(frozen=True)
class Timed:
    """A word or a sentence, and when it is heard (seconds)."""

    text: str
    start: float
    end: float

    def to_json(self, key: str) -> dict[str, object]:
        return {key: self.text, "start": round(self.start, 3), "end": round(self.end, 3)}


def sentence_times(spans: list[SentenceSpan], sample_rate: int) -> list[Timed]:
    """Each sentence and the stretch of the output it fills."""
    return [Timed(s.text, s.start / sample_rate, s.end / sample_rate) for s in spans]


def word_times(spans: list[SentenceSpan], audio: np.ndarray, sample_rate: int) -> list[Timed]:
    """Every word in reading order: its time from the model's durations where the sentence
    has them, else estimated within the sentence's voiced stretch."""
    words: list[Timed] = []
    for span in spans:
        tokens = span.text.split()
        if not tokens:
            continue
        offset = span.start / sample_rate
        if span.word_times is not None and len(span.word_times) == len(tokens):
            words += [
                Timed(token, offset + start, offset + end)
                for token, (start, end) in zip(tokens, span.word_times, strict=True)
            ]
            continue
        first, last = _voiced(audio[span.start : span.end])
        start = (span.start + first) / sample_rate
        length = (last - first) / sample_rate
        weights = [len(token) + (GAP_WEIGHT if i else 0.0) for i, token in enumerate(tokens)]
        total = sum(weights)
        elapsed = 0.0
        for token, weight in zip(tokens, weights, strict=True):
            gap = GAP_WEIGHT if elapsed else 0.0
            word_start = start + length * (elapsed + gap) / total
            elapsed += weight
            words.append(Timed(token, word_start, start + length * elapsed / total))
    return words


def _voiced(audio: np.ndarray) -> tuple[int, int]:
    """The first and last sample of speech in a sentence's audio (all of it if none stands
    out)."""
    if not len(audio):
        return 0, 0
    loud = np.flatnonzero(np.abs(audio) >= VOICED_FRACTION * float(np.max(np.abs(audio))))
    if not len(loud) or float(np.max(np.abs(audio))) == 0.0:
        return 0, len(audio)
    return int(loud[0]), int(loud[-1]) + 1


def subtitles(sentences: list[Timed], kind: str) -> str:
    """The sentences as an SRT or WebVTT file, a cue each. A cue's text is one line without
    "-->", which both formats read as a timing line."""
    sentences = [
        dataclasses.replace(s, text=" ".join(s.text.replace("-->", "→").split())) for s in sentences
    ]
    if kind == "srt":
        return srt.compose(
            srt.Subtitle(
                index,
                datetime.timedelta(seconds=s.start),
                datetime.timedelta(seconds=s.end),
                s.text,
            )
            for index, s in enumerate(sentences, start=1)
        )
    vtt = webvtt.WebVTT()
    for s in sentences:
        vtt.captions.append(webvtt.Caption(_vtt_time(s.start), _vtt_time(s.end), s.text))
    return vtt.content


def _vtt_time(seconds: float) -> str:
    milliseconds = round(seconds * 1000)
    hours, rest = divmod(milliseconds, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    return f"{hours:02d}:{minutes:02d}:{rest // 1000:02d}.{rest % 1000:03d}"
