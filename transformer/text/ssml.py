"""Basic SSML: <speak>, <p>, <s>, <break>, <say-as>, <sub>, <prosody rate>, <lang>.

Parsed into a flat list of utterances (text with its language and rate) and pauses. A document
cannot make the server do more than its size suggests: DTDs and entities are refused, and nesting,
speakable text and silence are bounded by SSMLLimits.
"""

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

import defusedxml
import defusedxml.ElementTree

from transformer.text import replace_unspeakable, say_as

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
RATE_RANGE = (0.25, 4.0)
"""Slowest and fastest <prosody rate>, as a multiplier; nested rates multiply within it too."""
SUPPORTED = ("speak", "p", "s", "break", "say-as", "sub", "prosody", "lang")
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,8}(?:[-_][A-Za-z0-9]{1,8}){0,4}")


class SSMLError(ValueError):
    """SSML that cannot be read; the message names the problem."""


@dataclass(frozen=True)
class SSMLLimits:
    """What one document may ask for, each checked once it is parsed."""

    max_chars: int = 10000
    """Characters to speak, over all utterances (server flag --max_input_chars)."""
    max_pause_seconds: float = 60.0
    """Silence, over all breaks and the pauses after <p> and <s> (--max_pause_seconds)."""
    max_depth: int = 32
    """Elements inside one another, <speak> included."""


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
    """Whether `text` is an SSML document: it starts with <speak>, or with an XML declaration or
    DOCTYPE (parsed as SSML, so that a DTD is refused rather than read out)."""
    return text.lstrip().startswith(("<speak", "<?xml", "<!DOCTYPE"))


def parse_ssml(
    document: str, language: str | None, limits: SSMLLimits = SSMLLimits()
) -> list[Utterance | Pause]:
    """Flatten an SSML document; raise SSMLError naming what is wrong or over `limits`."""
    try:
        root = defusedxml.ElementTree.fromstring(
            document.strip(), forbid_dtd=True, forbid_entities=True, forbid_external=True
        )
    except defusedxml.DefusedXmlException as exc:
        # A DTD is how a small document inflates (nested entities) or reads files (external ones).
        raise SSMLError("SSML may not contain a DOCTYPE or entity declarations") from exc
    except ET.ParseError as exc:
        raise SSMLError(f"malformed SSML: {exc}") from exc
    except UnicodeError as exc:
        raise SSMLError(f"SSML must be valid Unicode text: {exc}") from exc
    if _tag(root) != "speak":
        raise SSMLError(f"SSML must have <speak> as its root element, not <{_tag(root)}>")
    depth = _depth(root)
    if depth > limits.max_depth:
        raise SSMLError(
            f"SSML is nested {depth} levels deep; at most {limits.max_depth} are allowed"
        )
    items = _walk(root, language)
    chars = sum(len(item.text) for item in items if isinstance(item, Utterance))
    if chars > limits.max_chars:
        raise SSMLError(
            f"SSML has {chars} characters to speak; at most {limits.max_chars} are allowed "
            "(--max_input_chars)"
        )
    silence = sum(item.seconds for item in items if isinstance(item, Pause))
    if silence > limits.max_pause_seconds:
        raise SSMLError(
            f"SSML asks for {silence:g}s of pauses in all; at most {limits.max_pause_seconds:g}s "
            "are allowed (--max_pause_seconds)"
        )
    return items


def _tag(element: ET.Element) -> str:
    return element.tag.split("}")[-1]


def _depth(root: ET.Element) -> int:
    deepest = 0
    stack = [(root, 1)]
    while stack:
        element, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in element)
    return deepest


_Pending = tuple[ET.Element, str | None, float] | Utterance | Pause
"""An element to visit, with the language and rate it inherits, or what to say after one."""


def _walk(root: ET.Element, language: str | None) -> list[Utterance | Pause]:
    # An explicit stack rather than recursion: no depth of nesting can overflow Python's stack.
    out: list[Utterance | Pause] = []
    stack: list[_Pending] = [(root, language, 1.0)]
    while stack:
        item = stack.pop()
        if isinstance(item, Utterance | Pause):
            out.append(item)
            continue
        element, language, rate = item
        tag = _tag(element)
        if tag not in SUPPORTED:
            raise SSMLError(f"unsupported SSML element <{tag}>; supported: {', '.join(SUPPORTED)}")
        language = _language(element) or language
        if tag == "prosody":
            rate = min(
                max(rate * _rate(element.get("rate", "medium")), RATE_RANGE[0]), RATE_RANGE[1]
            )
        if tag == "break":
            out.append(Pause(_break_seconds(element)))
        elif tag == "say-as":
            out.append(_say_as(element, language, rate))
        elif tag == "sub":
            alias = element.get("alias")
            if alias is None:
                raise SSMLError("<sub> needs an alias attribute")
            out.append(Utterance(_clean(alias), language, rate, normalized=True))
        else:
            out.extend(_text(element.text, language, rate))
            after: list[_Pending] = []
            for child in element:
                after.append((child, language, rate))
                after.extend(_text(child.tail, language, rate))
            if tag in ("p", "s"):
                after.append(Pause(PARAGRAPH_PAUSE_S if tag == "p" else SENTENCE_PAUSE_S))
            stack.extend(reversed(after))
    return out


def _text(text: str | None, language: str | None, rate: float) -> list[Utterance]:
    return [Utterance(_clean(text), language, rate)] if text and text.strip() else []


def _clean(text: str) -> str:
    # C1 controls are legal XML characters; a <sub> alias skips normalization, so remove them here.
    return " ".join(replace_unspeakable(text).split())


def _language(element: ET.Element) -> str | None:
    value = element.get(_XML_LANG)
    if value and not _LANGUAGE_TAG.fullmatch(value):
        raise SSMLError(f"xml:lang={value!r} is not a language tag like en, bn or en-US")
    return value


def _say_as(element: ET.Element, language: str | None, rate: float) -> Utterance:
    kind = element.get("interpret-as")
    if not kind:
        raise SSMLError("<say-as> needs an interpret-as attribute")
    try:
        return Utterance(say_as("".join(element.itertext()), kind, language), language, rate)
    except ValueError as exc:
        raise SSMLError(str(exc)) from exc


def _rate(value: str) -> float:
    value = value.strip().lower()
    if value in RATE_WORDS:
        return RATE_WORDS[value]
    allowed = (
        "use x-slow, slow, medium, fast, x-fast, a percentage from 25% to 400% "
        "or a multiplier from 0.25 to 4"
    )
    match = re.fullmatch(r"([0-9]+(?:\.[0-9]+)?)(%)?", value)
    if not match:
        raise SSMLError(f"<prosody rate={value!r}> is not a rate; {allowed}")
    number = float(match.group(1)) / (100 if match.group(2) else 1)
    if not RATE_RANGE[0] <= number <= RATE_RANGE[1]:
        raise SSMLError(f"<prosody rate={value!r}> is out of range; {allowed}")
    return number


def _break_seconds(element: ET.Element) -> float:
    time = element.get("time")
    if time is None:
        strength = element.get("strength", "medium")
        if strength not in BREAK_STRENGTHS:
            raise SSMLError(
                f"<break strength={strength!r}> is unknown; use {', '.join(BREAK_STRENGTHS)}"
            )
        return BREAK_STRENGTHS[strength]
    match = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)?)\s*(ms|s)\s*", time)
    if not match:
        raise SSMLError(f"<break time={time!r}> is not a duration like 500ms or 1.5s")
    seconds = float(match.group(1)) / (1000 if match.group(2) == "ms" else 1)
    if seconds > MAX_BREAK_SECONDS:
        raise SSMLError(f"<break time={time!r}> is too long; at most {MAX_BREAK_SECONDS:g}s")
    return seconds
