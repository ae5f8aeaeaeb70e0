"""Bangla number words: cardinals, digits, ordinals, days of the month, years, case endings.

num2words speaks the cardinals; this module fixes what it says differently from speakers
(একশত for একশো, পনের for পনেরো, চৌচল্লিশ for চুয়াল্লিশ), says the sign it drops, and adds the
forms it lacks.
"""

import re
from functools import lru_cache

from num2words import num2words

BANGLA_DIGITS = "০১২৩৪৫৬৭৮৯"
DIGIT_WORDS = ("শূন্য", "এক", "দুই", "তিন", "চার", "পাঁচ", "ছয়", "সাত", "আট", "নয়")
MAX_CARDINAL_DIGITS = 15
"""Longer whole numbers are read digit by digit: nobody says "এক হাজার কোটি কোটি ..." for a serial
number, and num2words reads them wrong (৯ a hundred times) or refuses them."""
ORDINALS = {
    1: "প্রথম",
    2: "দ্বিতীয়",
    3: "তৃতীয়",
    4: "চতুর্থ",
    5: "পঞ্চম",
    6: "ষষ্ঠ",
    7: "সপ্তম",
    8: "অষ্টম",
    9: "নবম",
    10: "দশম",
}
DAY_OF_MONTH = {1: "পহেলা", 2: "দোসরা", 3: "তেসরা", 4: "চৌঠা"}
HALVES = {1: "দেড়", 2: "আড়াই"}
"""1.5 and 2.5 have their own words; other halves are সাড়ে n."""

# A number starts where no digit precedes it: without the look-behind, a pattern that fails
# after a long run of digits is tried again from every digit in the run (quadratic time).
NUMBER = r"(?<![\d.])\d+(?:\.\d+)?(?![.]?\d)"
BOUNDARY_AFTER = r"(?![\w\u0980-\u09FF])"
BOUNDARY_BEFORE = r"(?<![\w\u0980-\u09FF])"

_TO_ASCII_DIGITS = str.maketrans(BANGLA_DIGITS, "0123456789")
_NUKTA_COMPOSED = {"\u09af\u09bc": "\u09df", "\u09a1\u09bc": "\u09dc", "\u09a2\u09bc": "\u09dd"}
"""য়, ড়, ঢ় as one code point each (NFC splits them; keyboards and vocabularies use one)."""
_SPOKEN_SPELLING = {
    "পনের": "পনেরো",
    "ষোল": "ষোলো",
    "সতের": "সতেরো",
    "পঁইত্রিশ": "পঁয়ত্রিশ",
    "সাতত্রিশ": "সাঁইত্রিশ",
    "চৌচল্লিশ": "চুয়াল্লিশ",
    "ছিষট্টি": "ছেষট্টি",
}
"""num2words' spellings that differ from the Bangla Academy's and from what speakers say."""
_CONSONANT = re.compile(r"[\u0995-\u09B9\u09CE\u09DC-\u09DF]$")


def compose_nukta(text: str) -> str:
    """য়, ড়, ঢ় written as one code point each."""
    for decomposed, composed in _NUKTA_COMPOSED.items():
        text = text.replace(decomposed, composed)
    return text


def to_ascii_digits(text: str) -> str:
    """০১২ → 012."""
    return text.translate(_TO_ASCII_DIGITS)


def _spoken(word: str) -> str:
    if word.endswith("শত"):
        return f"{word[:-2]}শো"
    return _SPOKEN_SPELLING.get(word, word)


@lru_cache(maxsize=4096)
def cardinal(number: int) -> str:
    """A whole number as people say it: ১০০ একশো, ১৫ পনেরো, ১২৩৪৫৬৭ বারো লাখ চৌত্রিশ হাজার
    পাঁচশো সাতষট্টি; negatives say ঋণাত্মক, which num2words drops."""
    if number < 0:
        return f"ঋণাত্মক {cardinal(-number)}"
    words = compose_nukta(num2words(number, lang="bn")).split()
    return " ".join(_spoken(word) for word in words)


def read_digits(digits: str) -> str:
    """Digit by digit, as phone numbers are read."""
    return " ".join(DIGIT_WORDS[int(d)] for d in to_ascii_digits(digits) if d in "0123456789")


def whole_number(digits: str) -> str:
    """A whole number written in digits, in words; past MAX_CARDINAL_DIGITS digit by digit."""
    if len(digits) > MAX_CARDINAL_DIGITS:
        return read_digits(digits)
    return cardinal(int(digits))


def decimal(text: str) -> str:
    """১২.৫ → বারো দশমিক পাঁচ; digits after the point are read one by one."""
    whole, _, fraction = text.partition(".")
    words = whole_number(whole)
    return f"{words} দশমিক {read_digits(fraction)}" if fraction else words


def amount(text: str) -> str:
    """A quantity before a unit or লাখ/কোটি: halves as people say them (১.৫ দেড়, ২.৫ আড়াই,
    ৩.৫ সাড়ে তিন), other decimals with দশমিক."""
    whole, _, fraction = text.partition(".")
    if fraction.rstrip("0") == "5" and len(whole) <= 3:
        number = int(whole)
        if number in HALVES:
            return HALVES[number]
        if number:
            return f"সাড়ে {cardinal(number)}"
    return decimal(text)


def ordinal(digits: str) -> str:
    """১ম প্রথম ... ১০ম দশম, then ১১তম এগারোতম (একাদশ-style forms are formal and rare in
    speech); past MAX_CARDINAL_DIGITS digit by digit, as no one says such an ordinal."""
    digits = to_ascii_digits(digits)
    if len(digits) > MAX_CARDINAL_DIGITS:
        return read_digits(digits)
    number = int(digits)
    return ORDINALS.get(number) or f"{cardinal(number)}তম"


def day_of_month(number: int) -> str:
    """The day as dates say it: পহেলা, দোসরা, তেসরা, চৌঠা, পাঁচই ... আঠারোই, উনিশে ... একত্রিশে."""
    if number in DAY_OF_MONTH:
        return DAY_OF_MONTH[number]
    return f"{cardinal(number)}{'ই' if number <= 18 else 'ে'}"


def year(number: int) -> str:
    """১৯৭১ উনিশশো একাত্তর, ২০২৪ দুই হাজার চব্বিশ: hundreds from 1100 to 1999, as spoken."""
    if 1100 <= number <= 1999:
        hundreds, rest = divmod(number, 100)
        head = f"{cardinal(hundreds)}শো"
        return f"{head} {cardinal(rest)}" if rest else head
    return cardinal(number)


def with_case_ending(words: str, ending: str) -> str:
    """`words` with a genitive (এর, র) or locative (এ, তে) ending joined as spoken: দশের, দশে,
    বারোর, বারোতে, দুইয়ের, দুইয়ে, একাত্তরের."""
    genitive = ending in ("এর", "র", "ের")
    if _CONSONANT.search(words):
        return words + ("ের" if genitive else "ে")
    if words.endswith(("ই", "উ", "এ", "ও", "আ")):
        return words + ("য়ের" if genitive else "য়ে")
    return words + ("র" if genitive else "তে")
