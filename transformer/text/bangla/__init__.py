"""Bangla (bn) text normalization: what a TTS model reads must be words, as a native speaker
in Bangladesh reads a newspaper, a form or a chat aloud.

num2words speaks Bangla cardinals and bnunicodenormalizer repairs broken Unicode; the modules
here add what they get wrong or lack: spoken spellings (একশো, পনেরো), years (উনিশশো একাত্তর),
dates (day first), clock times, money, units, fractions, phone and ID numbers digit by digit,
abbreviations, ordinals and case endings. The rules run in an order that lets the more specific
reading claim a number first: a phone number before a range, a date before a fraction, a time
before a ratio.
"""

import re

from transformer.text.bangla.abbreviations import expand_abbreviations, join_initialisms
from transformer.text.bangla.amounts import (
    expand_currency,
    expand_fractions,
    expand_halves,
    expand_percent,
    expand_units,
)
from transformer.text.bangla.counting import (
    expand_case_endings,
    expand_counted,
    expand_digit_runs,
    expand_equals,
    expand_generations,
    expand_negatives,
    expand_numbers,
    expand_ordinals,
    expand_ranges,
    expand_ratios,
    expand_scores,
    expand_sets,
    expand_signs,
    expand_word_slashes,
)
from transformer.text.bangla.dates import expand_dates, expand_times, expand_years
from transformer.text.bangla.numbers import (
    DIGIT_WORDS,
    MAX_CARDINAL_DIGITS,
    cardinal,
    compose_nukta,
    day_of_month,
    decimal,
    ordinal,
    read_digits,
    to_ascii_digits,
    whole_number,
    year,
)
from transformer.text.bangla.phones import (
    expand_identifiers,
    expand_phone_numbers,
    expand_postcodes,
)
from transformer.text.bangla.script import repair_unicode
from transformer.text.bangla.web import expand_web_addresses

__all__ = [
    "DIGIT_WORDS",
    "MAX_CARDINAL_DIGITS",
    "cardinal",
    "day_of_month",
    "decimal",
    "normalize_bangla",
    "ordinal",
    "read_digits",
    "repair_unicode",
    "to_ascii_digits",
    "whole_number",
    "year",
]

_RULES = (
    expand_web_addresses,
    expand_phone_numbers,
    expand_postcodes,
    expand_identifiers,
    lambda text: re.sub(r"(?<=\d),(?=\d)", "", text),
    expand_negatives,
    expand_equals,
    expand_signs,
    expand_generations,
    expand_currency,
    expand_units,
    expand_abbreviations,
    join_initialisms,
    expand_dates,
    expand_years,
    expand_sets,
    expand_scores,
    expand_times,
    expand_ratios,
    expand_halves,
    expand_percent,
    expand_fractions,
    expand_word_slashes,
    expand_ordinals,
    expand_ranges,
    expand_case_endings,
    expand_counted,
    expand_digit_runs,
    expand_numbers,
)
"""In order: each rule reads the numbers the ones before it left."""
_SPACE_BEFORE_MARK = re.compile(r"\s+(?=[।?!,;:.)])|(?<=\()\s+")


def normalize_bangla(text: str) -> str:
    """Bangla text with every number, date, time, amount and abbreviation said in words;
    Latin-script words are left as written, digits of either script are read as Bangla."""
    text = repair_unicode(text)
    text = to_ascii_digits(text).replace("−", "-")
    for rule in _RULES:
        text = rule(text)
    text = _SPACE_BEFORE_MARK.sub("", " ".join(text.split()))
    return compose_nukta(text)
