"""The predictor's `word_times` output: each text's words' times, one UTF-8 JSON array an item.

An item is `[[start, end], ...]`, seconds on that item's audio (from its first sample), one pair
for each whitespace-separated word of its text, in order. The predictor writes it; the
transformer's predictor client reads it. No KServe import.
"""

import json
import struct
from collections.abc import Iterable

WordTimes = list[tuple[float, float]]
"""(start, end) seconds of each whitespace-separated word of one text, in order."""
DECIMALS = 5
"""Seconds are written to 10 µs: finer than a sample at any rate served."""


def encode(times: Iterable[tuple[float, float]]) -> bytes:
    """One item of the output."""
    pairs = [[round(float(start), DECIMALS), round(float(end), DECIMALS)] for start, end in times]
    return json.dumps(pairs, separators=(",", ":")).encode()


def decode(elements: list[bytes | str], texts: list[str]) -> list[WordTimes]:
    """The output's items, checked against the texts they time: one pair of numbers for each
    word of each text. Raises ValueError where they are not."""
    if len(elements) != len(texts):
        raise ValueError(f"{len(elements)} items of word times for {len(texts)} texts")
    decoded = []
    for index, (element, text) in enumerate(zip(elements, texts, strict=True)):
        try:
            times = [(float(start), float(end)) for start, end in json.loads(element)]
        except (TypeError, ValueError) as exc:
            raise ValueError(f"word times of item {index} are not [[start, end], ...]") from exc
        if len(times) != len(text.split()):
            raise ValueError(
                f"item {index} has {len(times)} word times for {len(text.split())} words"
            )
        decoded.append(times)
    return decoded


def bytes_elements(raw: bytes) -> list[bytes]:
    """The elements of a binary BYTES tensor: each a 4-byte little-endian length, then that
    many bytes."""
    elements, offset = [], 0
    while offset < len(raw):
        if offset + 4 > len(raw):
            raise ValueError("a BYTES tensor ends inside an element's length")
        (size,) = struct.unpack_from("<I", raw, offset)
        offset += 4
        if offset + size > len(raw):
            raise ValueError("a BYTES tensor ends inside an element")
        elements.append(raw[offset : offset + size])
        offset += size
    return elements
