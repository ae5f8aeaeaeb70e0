"""A request's plan: the sentences to say, each with its language and speed, and the pauses
between them, bounded before any synthesis."""

from dataclasses import dataclass

from transformer.request import CHARS_PER_SECOND, Limits, SpeechRequest, SpeechRequestError
from transformer.text import normalize
from transformer.text.sentences import split_sentences
from transformer.text.ssml import Pause, SSMLError, SSMLLimits, Utterance, parse_ssml
from voxraga.contract import SPEED_RANGE

SENTENCE_GAP_S = 0.15
"""Silence between two sentences."""


@dataclass(frozen=True)
class Piece:
    """One sentence for one predictor call."""

    text: str
    language: str | None
    speed: float


def plan(request: SpeechRequest, default_language: str, limits: Limits) -> list[Piece | Pause]:
    """Sentences to say, each with its language and speed, and the pauses between them.

    Refuses, before any synthesis, a request whose audio would pass `limits.max_audio_seconds`.
    """
    language = request.language or default_language
    if request.ssml:
        try:
            items = parse_ssml(
                request.text,
                language,
                SSMLLimits(
                    max_chars=limits.max_input_chars,
                    max_pause_seconds=limits.max_pause_seconds,
                ),
            )
        except SSMLError as exc:
            raise SpeechRequestError(str(exc)) from exc
    else:
        items = [Utterance(request.text, language, 1.0)]
    merged: list[Utterance | Pause] = []
    for item in items:
        if isinstance(item, Utterance):
            text = item.text
            if request.normalize and not item.normalized:
                text = normalize(text, item.language)
            item = Utterance(text, item.language, item.rate, normalized=True)
            previous = merged[-1] if merged else None
            if isinstance(previous, Utterance) and (previous.language, previous.rate) == (
                item.language,
                item.rate,
            ):
                merged[-1] = Utterance(
                    f"{previous.text} {item.text}", item.language, item.rate, True
                )
                continue
        merged.append(item)
    steps: list[Piece | Pause] = []
    for item in merged:
        if isinstance(item, Pause):
            steps.append(item)
            continue
        speed = min(max(request.speed * item.rate, SPEED_RANGE[0]), SPEED_RANGE[1])
        for index, sentence in enumerate(
            split_sentences(item.text, item.language, limits.max_sentence_chars)
        ):
            if index:
                steps.append(Pause(SENTENCE_GAP_S))
            steps.append(Piece(sentence, item.language, round(speed, 4)))
    if not any(isinstance(step, Piece) for step in steps):
        raise SpeechRequestError("the text has nothing to say once markup is removed")
    estimate = estimated_seconds(steps)
    if estimate > limits.max_audio_seconds:
        raise SpeechRequestError(
            f"this request would make about {estimate:.0f} s of audio; at most "
            f"{limits.max_audio_seconds:g} s is allowed (--max_audio_seconds): send less text, "
            "shorter pauses or a faster speed"
        )
    return steps


def estimated_seconds(steps: list[Piece | Pause]) -> float:
    """How long the planned audio will be, from characters, speeds and pauses."""
    return sum(
        step.seconds
        if isinstance(step, Pause)
        else len(step.text) / (CHARS_PER_SECOND * step.speed)
        for step in steps
    )
