"""Bangla (bn) text normalization: what a TTS model reads must be words.

num2words speaks Bangla cardinals; this module adds what it gets wrong or lacks (it drops the
sign of negatives, reads ordinals and years as cardinals, and reads 1971 as "এক হাজার নয়শত
একাত্তর" where a speaker says "উনিশশো একাত্তর") and everything around numbers: dates, times,
currency, phone numbers, ranges, abbreviations. bnunicodenormalizer repairs broken Unicode.
"""

import re
import unicodedata
from functools import lru_cache

from bnunicodenormalizer import Normalizer
from num2words import num2words

BANGLA_DIGITS = "০১২৩৪৫৬৭৮৯"
_TO_ASCII_DIGITS = str.maketrans(BANGLA_DIGITS, "0123456789")
DIGIT_WORDS = ("শূন্য", "এক", "দুই", "তিন", "চার", "পাঁচ", "ছয়", "সাত", "আট", "নয়")
MONTHS = (
    "জানুয়ারি",
    "ফেব্রুয়ারি",
    "মার্চ",
    "এপ্রিল",
    "মে",
    "জুন",
    "জুলাই",
    "আগস্ট",
    "সেপ্টেম্বর",
    "অক্টোবর",
    "নভেম্বর",
    "ডিসেম্বর",
)
ORDINALS = {
    1: "প্রথম",
    2: "দ্বিতীয়",
    3: "তৃতীয়",
    4: "চতুর্থ",
    5: "পঞ্চম",
    6: "ষষ্ঠ",
    7: "সপ্তম",
    8: "অষ্টম",
    9: "নবম",
    10: "দশম",
}
DAY_OF_MONTH = {1: "পহেলা", 2: "দোসরা", 3: "তেসরা", 4: "চৌঠা"}
ABBREVIATIONS = {
    "ডা.": "ডাক্তার",
    "ড.": "ডক্টর",
    "মো.": "মোহাম্মদ",
    "মোসা.": "মোসাম্মৎ",
    "কি.মি.": "কিলোমিটার",
    "সে.মি.": "সেন্টিমিটার",
    "মি.মি.": "মিলিমিটার",
    "কি.গ্রা.": "কিলোগ্রাম",
    "প্রফে.": "প্রফেসর",
    "লি.": "লিমিটেড",
    "খ্রি.": "খ্রিস্টাব্দ",
    "নং": "নম্বর",
    "কিমি": "কিলোমিটার",
    "কেজি": "কিলোগ্রাম",
}
_NUKTA_COMPOSED = {"\u09af\u09bc": "\u09df", "\u09a1\u09bc": "\u09dc", "\u09a2\u09bc": "\u09dd"}
"""য়, ড়, ঢ় as one code point each (NFC splits them; keyboards and vocabularies use one)."""
MAX_CARDINAL_DIGITS = 15
"""Longer whole numbers are read digit by digit: nobody says "এক হাজার কোটি কোটি ..." for a serial
number, and num2words reads them wrong (৯ a hundred times) or refuses them."""
# A number starts where no digit precedes it: without the look-behind, a pattern that fails
# after a long run of digits is tried again from every digit in the run (quadratic time).
_NUMBER = r"(?<!\d)\d+(?:\.\d+)?"
_BOUNDARY_AFTER = r"(?![\w\u0980-\u09FF])"
# Letters and signs only: digits (U+09E6-09EF) and currency and number signs (U+09F2-09FB) are
# left to the number rules, which the word repair would otherwise drop.
_BANGLA_WORD = r"[\u0980-\u09E5\u09F0\u09F1\u09FC-\u09FF]+"
_MAX_REPAIRED_WORD = 64
"""Longer "words" are left as they are: the repair takes time quadratic in a word's length, and no
Bangla word comes near this."""

_normalizer = Normalizer()


def normalize_bangla(text: str) -> str:
    """Bangla text with every number, date, time, amount and abbreviation said in words."""
    text = repair_unicode(text)
    text = text.translate(_TO_ASCII_DIGITS)
    text = re.sub(r"(?<=\d),(?=\d)", "", text)
    text = expand_abbreviations(text)
    text = expand_phone_numbers(text)
    text = expand_dates(text)
    text = expand_times(text)
    text = expand_currency(text)
    text = expand_percent(text)
    text = expand_ordinals(text)
    text = expand_years(text)
    text = expand_ranges(text)
    text = expand_counted(text)
    text = expand_numbers(text)
    return _compose_nukta(" ".join(text.split()))


def repair_unicode(text: str) -> str:
    """NFC, Bangla's own full stop for the look-alike `৷`, nukta letters composed, broken
    hasanta and vowel-sign sequences repaired word by word."""
    text = unicodedata.normalize("NFC", text).replace("৷", "।")
    text = text.replace("\u200c", "").replace("\u200d", "")
    return re.sub(_BANGLA_WORD, _repair_word, _compose_nukta(text))


def _repair_word(match: re.Match[str]) -> str:
    word = match.group(0)
    return word if len(word) > _MAX_REPAIRED_WORD else _repair(word)


# Words repeat, and the repair costs tens of microseconds a call.
@lru_cache(maxsize=4096)
def _repair(word: str) -> str:
    repaired = _normalizer(word)["normalized"]
    return repaired if repaired else word


def _compose_nukta(text: str) -> str:
    for decomposed, composed in _NUKTA_COMPOSED.items():
        text = text.replace(decomposed, composed)
    return text


@lru_cache(maxsize=4096)
def cardinal(number: int) -> str:
    """A whole number in words; negatives say ঋণাত্মক, which num2words drops."""
    if number < 0:
        return f"ঋণাত্মক {cardinal(-number)}"
    return _compose_nukta(num2words(number, lang="bn"))


def to_ascii_digits(text: str) -> str:
    """০১২ → 012."""
    return text.translate(_TO_ASCII_DIGITS)


def read_digits(digits: str) -> str:
    """Digit by digit, as phone numbers are read."""
    return " ".join(DIGIT_WORDS[int(d)] for d in digits if d.isdecimal())


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


def ordinal(digits: str) -> str:
    """১ম প্রথম ... ১০ম দশম, then একাদশ-style forms are rare: ১১তম এগারোতম; past
    MAX_CARDINAL_DIGITS digit by digit, as no one says such an ordinal."""
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


def expand_abbreviations(text: str) -> str:
    """ডা. ডাক্তার, মো. মোহাম্মদ, কি.মি. কিলোমিটার ..."""
    for short, full in sorted(ABBREVIATIONS.items(), key=lambda item: -len(item[0])):
        pattern = rf"(?<![\w\u0980-\u09FF]){re.escape(short)}"
        if not short.endswith("."):
            pattern += _BOUNDARY_AFTER
        text = re.sub(pattern, f"{full} ", text)
    return text


def expand_phone_numbers(text: str) -> str:
    """Bangladeshi mobile numbers (01XXXXXXXXX, +8801XXXXXXXXX), digit by digit."""

    def say(match: re.Match[str]) -> str:
        number = match.group(0)
        prefix = "প্লাস " if number.startswith("+") else ""
        return f" {prefix}{read_digits(number)} "

    return re.sub(r"(?<![\d.])(?:\+?88)?01[3-9]\d{2}[\s-]?\d{6}(?![\d.])", say, text)


def expand_dates(text: str) -> str:
    """১২/০৩/২০২৪ and ১২ মার্চ ২০২৪ → বারোই মার্চ দুই হাজার চব্বিশ (day first, as in Bangladesh)."""

    def numeric(match: re.Match[str]) -> str:
        day, month, year_text = (int(group) for group in match.groups())
        if not (1 <= day <= 31 and 1 <= month <= 12):
            return match.group(0)
        if year_text < 100:
            year_text += 2000
        return f"{day_of_month(day)} {MONTHS[month - 1]} {year(year_text)}"

    text = re.sub(r"(?<![\d.])(\d{1,2})[/.-](\d{1,2})[/.-](\d{4}|\d{2})(?![\d.])", numeric, text)
    months = "|".join(MONTHS)

    def named(match: re.Match[str]) -> str:
        said = f"{day_of_month(int(match.group(1)))} {match.group(2)}"
        return f"{said} {year(int(match.group(3)))}" if match.group(3) else said

    return re.sub(rf"(?<!\d)(\d{{1,2}})\s+({months})(?:\s+(\d{{4}}))?(?!\d)", named, text)


def expand_times(text: str) -> str:
    """১০:৩০ সাড়ে দশটা, ৯:১৫ সোয়া নয়টা, ৯:৪৫ পৌনে দশটা, ৯:০৫ নয়টা পাঁচ মিনিট."""

    def say(match: re.Match[str]) -> str:
        hour, minute = int(match.group(1)), int(match.group(2))
        if hour > 24 or minute > 59:
            return match.group(0)
        clock = hour % 12 or 12
        if minute == 0:
            return f"{cardinal(clock)}টা"
        if minute == 30:
            return {1: "দেড়টা", 2: "আড়াইটা"}.get(clock, f"সাড়ে {cardinal(clock)}টা")
        if minute == 15:
            return f"সোয়া {cardinal(clock)}টা"
        if minute == 45:
            return f"পৌনে {cardinal(clock % 12 + 1)}টা"
        return f"{cardinal(clock)}টা {cardinal(minute)} মিনিট"

    return re.sub(r"(?<![\d:])(\d{1,2}):(\d{2})(?![\d:])(?:\s*টা)?", say, text)


def expand_counted(text: str) -> str:
    """৯টা নয়টা, ৫টি পাঁচটি, ৩জন তিনজন: counted nouns keep their classifier (and its case)."""
    return re.sub(
        r"(?<![\d.])(\d+)\s?(টা|টি|জন|খানা|খানি)",
        lambda m: f"{whole_number(m.group(1))}{m.group(2)}",
        text,
    )


def expand_currency(text: str) -> str:
    """৳৫০০, ৫০০ টাকা, Tk 50, $১০ → words with টাকা (and পয়সা), ডলার (and সেন্ট)."""
    units = {"৳": ("টাকা", "পয়সা"), "$": ("ডলার", "সেন্ট"), "€": ("ইউরো", "সেন্ট")}

    def money(amount: str, unit: tuple[str, str]) -> str:
        whole, _, fraction = amount.partition(".")
        said = f"{whole_number(whole)} {unit[0]}"
        if cents := int(fraction.ljust(2, "0")[:2]):
            said += f" {cardinal(cents)} {unit[1]}"
        return f" {said} "

    taka = units["৳"]
    text = re.sub(rf"([৳$€])\s?({_NUMBER})", lambda m: money(m.group(2), units[m.group(1)]), text)
    text = re.sub(rf"(?:Tk\.?|BDT)\s?({_NUMBER})", lambda m: money(m.group(1), taka), text)
    return re.sub(
        rf"(?<![\d.])({_NUMBER})\s?(?:টাকা|Tk\.?|BDT)" + _BOUNDARY_AFTER,
        lambda m: money(m.group(1), taka),
        text,
    )


def expand_percent(text: str) -> str:
    """২৫% পঁচিশ শতাংশ."""
    return re.sub(rf"({_NUMBER})\s?%", lambda m: f"{decimal(m.group(1))} শতাংশ", text)


def expand_ordinals(text: str) -> str:
    """১ম প্রথম, ২য় দ্বিতীয়, ৪র্থ চতুর্থ, ৬ষ্ঠ ষষ্ঠ, ২১তম একুশতম; ১লা পহেলা, ২১শে একুশে."""

    def day(match: re.Match[str]) -> str:
        digits = match.group(1)
        if len(digits) > 2 or not 1 <= int(digits) <= 31:
            return match.group(0)
        return day_of_month(int(digits))

    text = re.sub(r"(?<![\d.])(\d+)\s?(?:লা|রা|ঠা|ই|শে)" + _BOUNDARY_AFTER, day, text)
    return re.sub(
        r"(?<![\d.])(\d+)\s?(?:তম|ম|\u09df|র্থ|ষ্ঠ)" + _BOUNDARY_AFTER,
        lambda m: ordinal(m.group(1)),
        text,
    )


def expand_years(text: str) -> str:
    """১৯৭১ সালে উনিশশো একাত্তর সালে; also before খ্রিস্টাব্দ and বঙ্গাব্দ."""
    return re.sub(
        r"(?<![\d.])(\d{3,4})\s?(?=সাল|খ্রিস্টাব্দ|খ্রিষ্টাব্দ|বঙ্গাব্দ|ইং)",
        lambda m: f"{year(int(m.group(1)))} ",
        text,
    )


def expand_ranges(text: str) -> str:
    """১০-১৫ দশ থেকে পনেরো."""
    return re.sub(
        rf"(?<![\d.])({_NUMBER})\s?[-–]\s?({_NUMBER})(?![\d.])",
        lambda m: f"{decimal(m.group(1))} থেকে {decimal(m.group(2))}",
        text,
    )


def expand_numbers(text: str) -> str:
    """What is left: negatives, decimals and cardinals, in Bangla or ASCII digits."""
    text = re.sub(r"(?<=[A-Za-z\u0980-\u09FF])-(?=\d)", " ", text)  # Covid-19
    text = re.sub(
        rf"(?<![\w\u0980-\u09FF])[-−]({_NUMBER})",
        lambda m: f"ঋণাত্মক {decimal(m.group(1))}",
        text,
    )
    return re.sub(_NUMBER, lambda m: f" {decimal(m.group(0))} ", text)
