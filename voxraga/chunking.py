"""Splitting a text into pieces a model accepts, at the most natural boundary available."""

import re

_SENTENCE_END = re.compile(r"(?<=[.!?।॥;:…])\s+")
_CLAUSE_END = re.compile(r"(?<=[,،、])\s+")


def split_to_fit(text: str, max_chars: int) -> list[str]:
    """Split `text` into pieces of at most `max_chars` characters.

    Sentences are packed together while they fit; a sentence that does not fit on its own is
    split at clause marks, then between words, and a single over-long word is cut.
    """
    if max_chars < 1:
        raise ValueError(f"max_chars must be at least 1, got {max_chars}")
    text = " ".join(text.split())
    if len(text) <= max_chars:
        return [text] if text else []
    pieces: list[str] = []
    for sentence in _SENTENCE_END.split(text):
        pieces.extend(_split_sentence(sentence, max_chars))
    return _pack(pieces, max_chars)


def _split_sentence(sentence: str, max_chars: int) -> list[str]:
    if len(sentence) <= max_chars:
        return [sentence]
    clauses = _CLAUSE_END.split(sentence)
    if len(clauses) > 1:
        return [piece for clause in clauses for piece in _split_sentence(clause, max_chars)]
    words: list[str] = []
    for word in sentence.split(" "):
        words.extend(word[i : i + max_chars] for i in range(0, len(word), max_chars))
    return _pack(words, max_chars)


def _pack(pieces: list[str], max_chars: int) -> list[str]:
    packed: list[str] = []
    for piece in pieces:
        if packed and len(packed[-1]) + 1 + len(piece) <= max_chars:
            packed[-1] = f"{packed[-1]} {piece}"
        else:
            packed.append(piece)
    return packed
