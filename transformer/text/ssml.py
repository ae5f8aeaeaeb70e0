"""Basic SSML: <speak>, <p>, <s>, <break>, <say-as>, <sub>, <prosody rate>, <lang>.

Parsed into a flat list of utterances (text with its language and rate) and pauses.
"""

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from transformer.text import say_as

MAX_BREAK_SECONDS = 10.0
SENTENCE_PAUSE_S = 0.25
PARAGRAPH_PAUSE_S = 0.6
BREAK_STRENGTHS = {
    "none": 0.0,
    "x-weak": 0.1,
    "weak": 0.2,
    "medium": 0.4,
    "strong": 0.7,
    "x-strong": 1.0,
}
RATE_WORDS = {
    "x-slow": 0.6,
    "slow": 0.8,
    "medium": 1.0,
    "default": 1.0,
    "fast": 1.25,
    "x-fast": 1.5,
}
SUPPORTED = ("speak", "p", "s", "break", "say-as", "sub", "prosody", "lang")
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


class SSMLError(ValueError):
    """SSML that cannot be read; the message names the problem."""


@dataclass(frozen=True)
class Utterance:
    """Text to say, not yet normalized."""

    text: str
    language: str | None
    rate: float
    """Speed relative to the request's."""
    normalized: bool = False
    """Whether <say-as> or <sub> already gave the words to say."""


@dataclass(frozen=True)
class Pause:
    """Silence between utterances."""

    seconds: float


def looks_like_ssml(text: str) -> bool:
    """Whether `text` is an SSML document (starts with <speak>)."""
    return text.lstrip().startswith("<speak")


def parse_ssml(document: str, language: str | None) -> list[Utterance | Pause]:
    """Flatten an SSML document; raise SSMLError naming what is wrong."""
    try:
        root = ET.fromstring(document.strip())
    except ET.ParseError as exc:
        raise SSMLError(f"malformed SSML: {exc}") from exc
    if _tag(root) != "speak":
        raise SSMLError(f"SSML must have <speak> as its root element, not <{_tag(root)}>")
    items: list[Utterance | Pause] = []
    _walk(root, language, 1.0, items)
    return items


def _tag(element: ET.Element) -> str:
    return element.tag.split("}")[-1]


def _walk(element: ET.Element, language: str | None, rate: float, out: list) -> None:
    tag = _tag(element)
    if tag not in SUPPORTED:
        raise SSMLError(f"unsupported SSML element <{tag}>; supported: {', '.join(SUPPORTED)}")
    language = element.get(_XML_LANG) or language
    if tag == "prosody":
        rate *= _rate(element.get("rate", "medium"))
    if tag == "break":
        out.append(Pause(_break_seconds(element)))
    elif tag == "say-as":
        kind = element.get("interpret-as")
        if not kind:
            raise SSMLError("<say-as> needs an interpret-as attribute")
        try:
            out.append(
                Utterance(say_as("".join(element.itertext()), kind, language), language, rate)
            )
        except ValueError as exc:
            raise SSMLError(str(exc)) from exc
    elif tag == "sub":
        alias = element.get("alias")
        if alias is None:
            raise SSMLError("<sub> needs an alias attribute")
        out.append(Utterance(alias, language, rate, normalized=True))
    else:
        _add_text(element.text, language, rate, out)
        for child in element:
            _walk(child, language, rate, out)
            _add_text(child.tail, language, rate, out)
        if tag in ("p", "s"):
            out.append(Pause(PARAGRAPH_PAUSE_S if tag == "p" else SENTENCE_PAUSE_S))


def _add_text(text: str | None, language: str | None, rate: float, out: list) -> None:
    if text and text.strip():
        out.append(Utterance(" ".join(text.split()), language, rate))


def _rate(value: str) -> float:
    value = value.strip().lower()
    if value in RATE_WORDS:
        return RATE_WORDS[value]
    match = re.fullmatch(r"(\d+(?:\.\d+)?)(%)?", value)
    if not match:
        raise SSMLError(
            f"<prosody rate={value!r}> is not a rate; use x-slow, slow, medium, fast, x-fast, "
            "a percentage (80%) or a multiplier (1.2)"
        )
    number = float(match.group(1))
    return number / 100 if match.group(2) else number


def _break_seconds(element: ET.Element) -> float:
    time = element.get("time")
    if time is None:
        strength = element.get("strength", "medium")
        if strength not in BREAK_STRENGTHS:
            raise SSMLError(
                f"<break strength={strength!r}> is unknown; use {', '.join(BREAK_STRENGTHS)}"
            )
        return BREAK_STRENGTHS[strength]
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(ms|s)\s*", time)
    if not match:
        raise SSMLError(f"<break time={time!r}> is not a duration like 500ms or 1.5s")
    seconds = float(match.group(1)) / (1000 if match.group(2) == "ms" else 1)
    if seconds > MAX_BREAK_SECONDS:
        raise SSMLError(f"<break time={time!r}> is too long; at most {MAX_BREAK_SECONDS:g}s")
    return seconds
