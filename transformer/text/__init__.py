"""Text to what a TTS model reads: normalization per language, SSML, sentence splitting.

Knows nothing of KServe or HTTP.
"""

import re
import unicodedata
from collections.abc import Callable
from functools import partial

from num2words import num2words

from transformer.text import bangla, english, nemo
from transformer.text.chat import clean_chat

MAX_CARDINAL_DIGITS = english.MAX_CARDINAL_DIGITS
NUM2WORDS_LANGUAGES = frozenset(
    (
        "en",
        "es",
        "fr",
        "de",
        "it",
        "pt",
        "ru",
        "ar",
        "hu",
        "ko",
        "ja",
        "hi",
        "sv",
        "pl",
        "tr",
        "nl",
        "cs",
    )
)
"""Languages num2words says numbers in: the fallback where NeMo has no grammar (pl, tr, nl, cs)
or no say (not compiled yet, failed, input too long)."""
# A number starts where no digit precedes it: without the look-behind, a pattern that fails
# after a long run of digits is tried again from every digit in the run (quadratic time).
_NUMBER = re.compile(r"(?<![\d.,])(-)?(\d{1,3}(?:,\d{3})+(?!\d)|\d+)(?:[.,](\d+))?")

SENTENCE_END = re.compile(r"([.!?।॥…])[\"'”’»)\]]*\s*$")
"""The mark that ends a text, before any closing quote or bracket."""
_ENDS_BY_LANGUAGE = {"bn": "।॥?!"}
"""The marks that end a sentence where it is not . ! ? (a full stop in Bangla ends "ডা.")."""

# Control characters (Cc; \t \n \r among them, which are whitespace anyway) mean nothing to a
# voice, and lone surrogates (Cs) cannot be encoded as UTF-8 on the way to the predictor.
_UNSPEAKABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def base_language(language: str | None) -> str:
    """ "en" for en-US, en_GB, EN."""
    return (language or "").lower().replace("_", "-").split("-")[0]


def replace_unspeakable(text: str) -> str:
    """`text` with control characters and lone surrogates replaced by spaces."""
    return _UNSPEAKABLE.sub(" ", text)


def say_numbers(text: str, language: str) -> str:
    """The numbers in `text` in `language`'s words by num2words (others left as they are)."""
    if language not in NUM2WORDS_LANGUAGES:
        return text

    def say(match: re.Match[str]) -> str:
        minus, whole, fraction = match.groups()
        whole = whole.replace(",", "")
        if len(whole) > MAX_CARDINAL_DIGITS or (fraction and len(fraction) > MAX_CARDINAL_DIGITS):
            return " ".join(num2words(int(d), lang=language) for d in match.group(0) if d.isdigit())
        try:
            said = num2words(int(whole), lang=language)
            if fraction:
                point = num2words(1.5, lang=language).split()[-2] if language != "en" else "point"
                digits = " ".join(num2words(int(d), lang=language) for d in fraction)
                said = f"{said} {point} {digits}"
            if minus:
                said = f"{num2words(-1, lang=language).split()[0]} {said}"
        except (NotImplementedError, OverflowError, ValueError, IndexError):
            return match.group(0)
        return f" {said.replace(',', '')} "

    return _NUMBER.sub(say, text)


NORMALIZERS: dict[str, Callable[[str], str]] = {
    "bn": bangla.normalize_bangla,
    "en": partial(english.normalize_english, fallback=partial(say_numbers, language="en")),
}
"""Languages with rules of their own; the others NeMo covers are read by it, and
the rest have their numbers said by num2words where it knows the language."""


def normalize(text: str, language: str | None) -> str:
    """`text` as words a model can read, for `language`; unknown languages pass through NFC."""
    text = clean_chat(unicodedata.normalize("NFC", replace_unspeakable(text)))
    lang = base_language(language)
    normalizer = NORMALIZERS.get(lang)
    if normalizer:
        said = normalizer(text)
    elif nemo.nemo_language(lang):
        said = nemo.read(text, lang, partial(say_numbers, language=lang))
    else:
        said = say_numbers(text, lang)
    return keep_end(text, " ".join(said.split()), lang)


def keep_end(written: str, said: str, language: str | None) -> str:
    """`said` with the mark that ended `written` (a full stop, a question or exclamation mark, a
    dari), where a rule took it ("on Main St." on Main Street): without it the model runs on
    into the next sentence."""
    end = SENTENCE_END.search(written)
    marks = _ENDS_BY_LANGUAGE.get(base_language(language), ".!?।॥…")
    if end and end.group(1) in marks and said and not SENTENCE_END.search(said):
        return said + end.group(1)
    return said


def say_as(text: str, interpret_as: str, language: str | None) -> str:
    """SSML <say-as>: rewrite `text` so that normalization reads it as asked."""
    text = text.strip()
    lang = base_language(language)
    if interpret_as in ("characters", "spell-out"):
        return " ".join(ch for ch in text if not ch.isspace())
    if interpret_as in ("telephone", "digits"):
        digits = [ch for ch in text if ch.isdecimal() or ch == "+"]
        if lang == "bn":
            return bangla.read_digits(bangla.to_ascii_digits("".join(digits)))
        return " ".join(digits)
    if interpret_as == "cardinal":
        return re.sub(r"(?<=\d)[,\s](?=\d)", "", text)
    if interpret_as == "ordinal":
        digits = re.sub(r"\D", "", bangla.to_ascii_digits(text)) or "0"
        return bangla.ordinal(digits) if lang == "bn" else english.ordinal(digits)
    if interpret_as == "date":
        return text
    raise ValueError(
        f"unsupported say-as interpret-as {interpret_as!r}; "
        "supported: characters, spell-out, cardinal, ordinal, date, telephone, digits"
    )
