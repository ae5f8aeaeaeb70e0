"""Code-switching: text that mixes scripts, said stretch by stretch in the language of each.

A Bangla newspaper writes "Google" and "COVID" in Latin letters; an English chat quotes a Bangla
word. Each stretch of letters in one script is a segment; the segment is said in the request's
language where that language writes the script, else in a language of the voice that does (an
XTTS fine-tune that learned Bangla keeps English), else it is transliterated into the request
language's script (anyascii romanizes; Avro phonetic writes Latin letters in Bangla script) so
that the voice reads it rather than dropping it. Digits, punctuation and spaces belong to the
segment they follow.

Knows nothing of requests or HTTP: the caller says which languages the voice speaks.
"""

import functools
import itertools
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

import avro
from anyascii import anyascii

from transformer.text import base_language

LATIN = "LATIN"
SCRIPTS = {
    "bn": {"BENGALI"},
    "as": {"BENGALI"},
    "hi": {"DEVANAGARI"},
    "mr": {"DEVANAGARI"},
    "ne": {"DEVANAGARI"},
    "ru": {"CYRILLIC"},
    "uk": {"CYRILLIC"},
    "bg": {"CYRILLIC"},
    "sr": {"CYRILLIC", LATIN},
    "kk": {"CYRILLIC"},
    "ar": {"ARABIC"},
    "fa": {"ARABIC"},
    "ur": {"ARABIC"},
    "he": {"HEBREW"},
    "el": {"GREEK"},
    "zh": {"CJK"},
    "ja": {"CJK", "HIRAGANA", "KATAKANA"},
    "ko": {"HANGUL"},
    "th": {"THAI"},
    "ta": {"TAMIL"},
    "te": {"TELUGU"},
    "gu": {"GUJARATI"},
    "pa": {"GURMUKHI"},
    "ka": {"GEORGIAN"},
    "hy": {"ARMENIAN"},
    "am": {"ETHIOPIC"},
    "my": {"MYANMAR"},
}
"""The scripts a language writes in, by the first word of their letters' Unicode names; a
language not listed writes Latin letters."""
SCRIPT_LANGUAGES = {"BENGALI": "bn", "LATIN": "en", "CJK": "zh", "HIRAGANA": "ja"}
"""The language a script most likely is, where a voice speaks several that write it."""
MAX_SEGMENTS = 8
"""A sentence says at most this many stretches in turn; past it, one language says it all."""
MOSTLY = 0.5
"""A text with more than this share of its letters in scripts the voice cannot say is refused."""


@dataclass(frozen=True)
class Segment:
    """A stretch of one sentence said in one language."""

    text: str
    language: str
    written: str
    """The stretch as written, before any transliteration."""


class ForeignTextError(ValueError):
    """The text is mostly in a script that no language of the voice writes."""


def scripts_of(language: str) -> set[str]:
    """The scripts `language` writes in."""
    return SCRIPTS.get(base_language(language), {LATIN})


@functools.lru_cache(maxsize=8192)
def script_of(character: str) -> str | None:
    """The script of a letter, a vowel sign or a digit of its own script ("BENGALI", "LATIN",
    "CJK"...); None for what any script uses: spaces, punctuation, symbols, ASCII digits,
    combining accents."""
    category = unicodedata.category(character)
    if not (category[0] in "LM" or (category == "Nd" and not character.isascii())):
        return None
    name = unicodedata.name(character, "")
    script = name.split(" ", 1)[0]
    if not script or script == "COMBINING":
        return None
    return script


def runs(text: str) -> list[tuple[str, str | None]]:
    """`text` cut where its script changes: (stretch, script) pairs that join back to `text`.
    Spaces, digits and punctuation stay with the stretch before them (or, at the start, the one
    after); a text with no letters is one stretch with no script."""
    pieces: list[tuple[str, str | None]] = []
    start, current = 0, None
    for index, character in enumerate(text):
        script = script_of(character)
        if script is None or script == current:
            continue
        if current is not None:
            pieces.append((text[start:index], current))
            start = index
        current = script
    pieces.append((text[start:], current))
    return pieces


def speaker_of(
    script: str, language: str, spoken: Iterable[str], likeliest: str | None = None
) -> str | None:
    """The language that says letters of `script`: the request's `language` where it writes it,
    else the voice's language for it (`likeliest`, or the script's likeliest, first), else
    None."""
    if script in scripts_of(language):
        return language
    candidates = [other for other in spoken if script in scripts_of(other)]
    likeliest = likeliest or SCRIPT_LANGUAGES.get(script)
    for candidate in candidates:
        if base_language(candidate) == likeliest:
            return candidate
    return candidates[0] if candidates else None


def foreign_share(text: str, language: str, spoken: Iterable[str]) -> float:
    """The share of `text`'s letters (digits aside) in scripts that no language of the voice
    writes (`spoken`; where it lists none, `language`)."""
    known = _known_scripts(language, spoken)
    letters = foreign = 0
    for character in text:
        script = script_of(character)
        if script is None or character.isdecimal():  # ৫০০ is a number any voice can say
            continue
        letters += 1
        foreign += script not in known
    return foreign / letters if letters else 0.0


def _known_scripts(language: str, spoken: Iterable[str]) -> set[str]:
    languages = list(spoken) or [language]
    return set().union(*(scripts_of(other) for other in languages))


def check_speakable(text: str, language: str, spoken: Iterable[str], voice: str) -> None:
    """Refuse a text mostly in scripts the voice cannot say (ForeignTextError, whose message
    names `voice`, "voice 'anna'", and its languages); a few foreign words are transliterated
    instead."""
    spoken = list(spoken)
    if foreign_share(text, language, spoken) <= MOSTLY:
        return
    scripts = sorted(
        {s for ch in text if (s := script_of(ch)) is not None and not ch.isdecimal()}
        - _known_scripts(language, spoken)
    )
    names = ", ".join(script.title() for script in scripts)
    languages = ", ".join(spoken or [language])
    raise ForeignTextError(
        f"this text is mostly in {names} script, which {voice} cannot say: it speaks "
        f"{languages}; send text in one of those languages, or use a voice that speaks it"
    )


def segments(text: str, language: str, spoken: Iterable[str]) -> list[Segment]:
    """`text` (one sentence) as segments, each said in one language: the request's `language`,
    another language in `spoken` (the voice's languages) that writes the segment's script, or
    `language` again with the segment transliterated into its script. A sentence that would
    switch more than MAX_SEGMENTS times is one segment, its foreign words transliterated: each
    segment is a predictor call."""
    spoken = list(spoken)
    # Chinese characters among kana are Japanese.
    kana = any(script_of(ch) in ("HIRAGANA", "KATAKANA") for ch in text)
    parts: list[tuple[str, list[str], list[str]]] = []
    for stretch, script in runs(text):
        hint = "ja" if kana and script == "CJK" else None
        said_in = speaker_of(script, language, spoken, hint) if script else language
        said = stretch
        if said_in is None:
            said_in, said = language, transliterate(stretch, language)
        if parts and parts[-1][0] == said_in:
            parts[-1][1].append(said)
            parts[-1][2].append(stretch)
        else:
            parts.append((said_in, [said], [stretch]))
    if len(parts) > MAX_SEGMENTS and spoken:
        return segments(text, language, [])
    out = [
        Segment("".join(said).strip(), lang, "".join(written).strip())
        for lang, said, written in parts
    ]
    return [segment for segment in out if segment.text or segment.written]


def transliterate(text: str, language: str) -> str:
    """`text`'s letters rewritten in the script `language` writes, where a library knows how:
    romanized (anyascii) for a Latin-script language, and, for Bangla, romanized then written in
    Bangla letters by Avro phonetic ("Google" গুগল). Elsewhere the text is left as it is."""
    targets = scripts_of(language)
    if LATIN in targets:
        rewrite = _romanized
    elif "BENGALI" in targets:
        rewrite = _in_bangla
    else:
        return text
    return "".join(
        rewrite("".join(group)) if is_word else "".join(group)
        for is_word, group in itertools.groupby(text, lambda ch: script_of(ch) is not None)
    )


def _romanized(word: str) -> str:
    return anyascii(word).replace("'", "") if not word.isascii() else word


@functools.lru_cache(maxsize=4096)
def _in_bangla(word: str) -> str:
    if script_of(word[0]) == "BENGALI":
        return word
    # Avro reads capitals as other letters (T is ট, t is ত): English words are lower case.
    return avro.parse(_romanized(word).lower())
