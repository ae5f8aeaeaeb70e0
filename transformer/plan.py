"""A request's plan: the sentences to say, each with its language and speed, and the pauses
between them, bounded before any synthesis."""

from collections.abc import Sequence
from dataclasses import dataclass

from transformer.request import CHARS_PER_SECOND, Limits, SpeechRequest, SpeechRequestError
from transformer.text import SENTENCE_END, nemo, normalize
from transformer.text.codeswitch import ForeignTextError, check_speakable, segments
from transformer.text.sentences import sentences_of
from transformer.text.ssml import Pause, SSMLError, SSMLLimits, Utterance, parse_ssml
from voxraga.chunking import split_to_fit
from voxraga.contract import SPEED_RANGE

SENTENCE_GAP_S = 0.15
"""Silence between two sentences."""


@dataclass(frozen=True)
class Piece:
    """One sentence for one predictor call."""

    text: str
    language: str | None
    speed: float


def plan(
    request: SpeechRequest,
    default_language: str,
    limits: Limits,
    spoken: Sequence[str] | None = None,
) -> list[Piece | Pause]:
    """Sentences to say, each with its language and speed, and the pauses between them.

    The text is cut into sentences as written (a full stop after "U.K." or "7:45 p.m." is no
    end), then each sentence is normalized. Where the voice's languages are known (`spoken`),
    a sentence that mixes scripts is said segment by segment, each in its own language
    (codeswitch.segments), and a text mostly in a script the voice cannot say is refused.

    Refuses, before any synthesis, a request whose audio would pass `limits.max_audio_seconds`.
    """
    with nemo.request_budget():
        return _plan(request, default_language, limits, spoken)


def _plan(
    request: SpeechRequest, default_language: str, limits: Limits, spoken: Sequence[str] | None
) -> list[Piece | Pause]:
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
    if spoken is not None:
        said = " ".join(item.text for item in items if isinstance(item, Utterance))
        try:
            voice = f"voice {request.voice!r}" if request.voice else "this model's voice"
            check_speakable(said, language, spoken, voice)
        except ForeignTextError as exc:
            raise SpeechRequestError(str(exc)) from exc
    steps: list[Piece | Pause] = []
    for sentence in _sentences(items, request.normalize):
        if isinstance(sentence, Pause):
            steps.append(sentence)
            continue
        if any(isinstance(step, Piece) for step in steps) and not isinstance(steps[-1], Pause):
            steps.append(Pause(SENTENCE_GAP_S))
        speed = round(min(max(request.speed * sentence.rate, SPEED_RANGE[0]), SPEED_RANGE[1]), 4)
        for text, said_in in _segments(sentence, spoken, request.normalize):
            for piece in split_to_fit(text, limits.max_sentence_chars):
                steps.append(Piece(piece, said_in, speed))
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


def _sentences(items: list[Utterance | Pause], normalize_text: bool) -> list[Utterance | Pause]:
    """Each utterance cut into sentences as written, each sentence normalized; a sentence that
    an utterance leaves open (SSML's <say-as> or <sub> inside it) goes on in the next
    utterance of the same language and speed."""
    out: list[Utterance | Pause] = []
    for item in items:
        if isinstance(item, Pause):
            out.append(item)
            continue
        if normalize_text and not item.normalized:
            said = normalized_sentences(item.text, item.language)
        else:
            said = sentences_of(item.text, item.language)
        for index, text in enumerate(said):
            previous = out[-1] if out else None
            if (
                index == 0
                and isinstance(previous, Utterance)
                and (previous.language, previous.rate) == (item.language, item.rate)
                and not SENTENCE_END.search(previous.text)
            ):
                out[-1] = Utterance(f"{previous.text} {text}", item.language, item.rate, True)
            elif text.strip():
                out.append(Utterance(text, item.language, item.rate, True))
    return out


def normalized_sentences(text: str, language: str | None) -> list[str]:
    """`text` as the model reads it, sentence by sentence: cut as written, then normalized."""
    return [normalize(written, language) for written in sentences_of(text, language)]


def _segments(
    sentence: Utterance, spoken: Sequence[str] | None, normalize_text: bool
) -> list[tuple[str, str | None]]:
    """The sentence's segments as (text, language), each in one language (one, in the
    sentence's language, where the voice's languages are unknown); a segment in another
    language is normalized in it."""
    language = sentence.language
    if spoken is None or not language:
        return [(sentence.text, language)]
    parts: list[tuple[str, str | None]] = []
    for segment in segments(sentence.text, language, spoken):
        text = segment.text
        if normalize_text and segment.language != language:
            text = normalize(text, segment.language)
        parts.append((text, segment.language))
    return parts


def estimated_seconds(steps: list[Piece | Pause]) -> float:
    """How long the planned audio will be, from characters, speeds and pauses."""
    return sum(
        step.seconds
        if isinstance(step, Pause)
        else len(step.text) / (CHARS_PER_SECOND * step.speed)
        for step in steps
    )
