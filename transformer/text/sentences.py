"""Splitting text into sentences a model says well, one synthesis call each.

Where pySBD (Python Sentence Boundary Disambiguation) knows the language, it finds the ends: a
full stop after an abbreviation, an initial, "a.m." or "U.K." ends no sentence. Elsewhere (Bangla
among them) a regular expression does: the dari (।), ? and ! end a sentence at once, a full stop
before whitespace.
"""

import re
import threading

import pysbd
from pysbd.languages import LANGUAGE_CODES

from transformer.text import base_language
from voxraga.chunking import split_to_fit

WINDOW_CHARS = 2000
"""The most pySBD reads at once."""
_ENDS = {
    "bn": r"(?<=[।?!॥])(?![।?!॥])[\"'”’»)\]]*\s*",
    "default": r"(?<=[.!?।?!])\s+",
}


_NEVER_LAST = re.compile(
    r"(?<![\w.])(?:Mr|Mrs|Ms|Dr|Prof|Capt|Sgt|Lt|Col|Gen|Gov|Sen|Rep|Rev|Rt|Hon|Mt|approx|Apt|ext|"
    r"Ext|vs|cf|ca|e\.g|i\.e)\.\s*$"
)
"""Abbreviations that a sentence never ends on: a title before a name, "approx." before a
number (pySBD ends a sentence at "approx. 5")."""
_BEFORE_A_NUMBER = re.compile(r"(?<![\w.])(?:No|Nos|no|Fig|Figs|Vol|vol|pp?)\.\s*$")
"""Abbreviations that end no sentence when a number follows ("No. 5"), but may otherwise
("The answer was No.")."""
_AFTER_A_NAME = re.compile(r"(?<![\w.])(?:Jr|Sr)\.\s*$")
"""Jr. and Sr. end a name, and may end a sentence: they do unless a word follows that does not
begin one ("King Jr. Day", but "King Jr. He spoke")."""
_STARTERS = frozenset(
    [
        "The",
        "A",
        "An",
        "He",
        "She",
        "It",
        "They",
        "We",
        "I",
        "You",
        "This",
        "That",
        "These",
        "Those",
        "There",
        "His",
        "Her",
    ]
)
_local = threading.local()


def _segmenter(language: str) -> pysbd.Segmenter:
    """pySBD's Segmenter keeps the text it is reading on itself: one per thread and language."""
    segmenters = _local.__dict__.setdefault("segmenters", {})
    if language not in segmenters:
        segmenters[language] = pysbd.Segmenter(language=language, clean=False)
    return segmenters[language]


def _segments(text: str, language: str | None) -> list[str]:
    """`text` cut at sentence ends, nothing lost: the pieces join back to `text`.

    pySBD's time grows faster than its input, so it reads windows of at most WINDOW_CHARS,
    made of whole pieces the regular expression cut (a piece longer than that, which has no
    end the expression sees, is left as it is)."""
    code = base_language(language)
    pieces = _cut(text, _ENDS.get(code, _ENDS["default"]))
    if code not in LANGUAGE_CODES or code == "bn":
        return pieces
    segmented: list[str] = []
    for window in _windows(pieces):
        if len(window) > WINDOW_CHARS:
            segmented.append(window)
        else:
            segmented += _segmenter(code).segment(window) or [window]
    return _joined_after_abbreviations(segmented)


def _joined_after_abbreviations(pieces: list[str]) -> list[str]:
    """Pieces put back together where the first ends on an abbreviation no sentence ends on, or
    the next begins in lower case ("ticket no. is 5521": no sentence begins so)."""
    joined: list[str] = []
    for piece in pieces:
        first = piece.lstrip()[:1]
        if joined and (
            _NEVER_LAST.search(joined[-1])
            or first.islower()
            or (first.isdigit() and _BEFORE_A_NUMBER.search(joined[-1]))
            or (_AFTER_A_NAME.search(joined[-1]) and piece.split()[0] not in _STARTERS)
        ):
            joined[-1] += piece
        else:
            joined.append(piece)
    return joined


def _cut(text: str, pattern: str) -> list[str]:
    pieces, start = [], 0
    for match in re.finditer(pattern, text):
        if match.end() > start:
            pieces.append(text[start : match.end()])
            start = match.end()
    pieces.append(text[start:])
    return pieces


def _windows(pieces: list[str]) -> list[str]:
    windows: list[str] = []
    for piece in pieces:
        if windows and len(windows[-1]) + len(piece) <= WINDOW_CHARS:
            windows[-1] += piece
        else:
            windows.append(piece)
    return windows


def sentences_of(text: str, language: str | None) -> list[str]:
    """The sentences of `text`, whatever their length."""
    return [s.strip() for s in _segments(text, language) if s.strip()]


def split_sentences(text: str, language: str | None, max_chars: int) -> list[str]:
    """Sentences of `text`, each at most `max_chars` long (longer ones split at clauses)."""
    return [
        piece
        for sentence in sentences_of(text, language)
        for piece in split_to_fit(sentence, max_chars)
    ]


def complete_sentences(text: str, language: str | None) -> tuple[list[str], str]:
    """The sentences of `text` whose end has arrived, and the rest, still being written.

    A sentence is complete once the next one has begun: "3." may yet become "3.5", "Dr." is
    followed by a name; a danda ends a Bangla sentence at once.
    """
    *done, rest = _segments(text, language)
    return [s.strip() for s in done if s.strip()], rest
