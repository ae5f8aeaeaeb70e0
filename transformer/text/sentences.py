"""Splitting text into sentences a model says well, one synthesis call each."""

import re

from voxraga.chunking import split_to_fit

_ENDS = {
    "bn": r"(?<=[।?!॥])\s*",
    "default": r"(?<=[.!?।?!])\s+",
}


def split_sentences(text: str, language: str | None, max_chars: int) -> list[str]:
    """Sentences of `text`, each at most `max_chars` long (longer ones split at clauses)."""
    pattern = _ENDS.get((language or "").split("-")[0], _ENDS["default"])
    sentences = [s.strip() for s in re.split(pattern, text) if s.strip()]
    return [piece for sentence in sentences for piece in split_to_fit(sentence, max_chars)]


def complete_sentences(text: str, language: str | None) -> tuple[list[str], str]:
    """The sentences of `text` whose end has arrived, and the rest, still being written.

    A full stop ends a sentence once what follows it has arrived (whitespace), as "3." may yet
    become "3.5"; a danda ends a Bangla sentence at once.
    """
    pattern = _ENDS.get((language or "").split("-")[0], _ENDS["default"])
    *done, rest = re.split(pattern, text)
    return [s.strip() for s in done if s.strip()], rest
