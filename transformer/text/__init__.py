"""Text to what a TTS model reads: normalization per language, SSML, sentence splitting.

Knows nothing of KServe or HTTP.
"""

import re
import unicodedata

from transformer.text import bangla, english

NORMALIZERS = {"bn": bangla.normalize_bangla, "en": english.normalize_english}
"""Languages with their own normalizer; every other language is Unicode-normalized only."""

# Control characters (Cc; \t \n \r among them, which are whitespace anyway) mean nothing to a
# voice, and lone surrogates (Cs) cannot be encoded as UTF-8 on the way to the predictor.
_UNSPEAKABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def base_language(language: str | None) -> str:
    """ "en" for en-US, en_GB, EN."""
    return (language or "").lower().replace("_", "-").split("-")[0]


def replace_unspeakable(text: str) -> str:
    """`text` with control characters and lone surrogates replaced by spaces."""
    return _UNSPEAKABLE.sub(" ", text)


def normalize(text: str, language: str | None) -> str:
    """`text` as words a model can read, for `language`; others pass through NFC unchanged."""
    text = unicodedata.normalize("NFC", replace_unspeakable(text))
    normalizer = NORMALIZERS.get(base_language(language))
    return normalizer(text) if normalizer else " ".join(text.split())


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
