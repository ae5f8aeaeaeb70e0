"""English (en) text normalization: numbers, dates, times, money, units and abbreviations in
words, with num2words doing the number words."""

import re

from num2words import num2words

MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
ABBREVIATIONS = {
    "Dr.": "Doctor",
    "Mr.": "Mister",
    "Mrs.": "Missus",
    "Ms.": "Miss",
    "Prof.": "Professor",
    "Jr.": "Junior",
    "Sr.": "Senior",
    "St.": "Saint",
    "Mt.": "Mount",
    "vs.": "versus",
    "etc.": "et cetera",
    "e.g.": "for example",
    "i.e.": "that is",
    "approx.": "approximately",
    "Inc.": "Incorporated",
    "Ltd.": "Limited",
    "No.": "number",
}
UNITS = {
    "km": ("kilometer", "kilometers"),
    "m": ("meter", "meters"),
    "cm": ("centimeter", "centimeters"),
    "mm": ("millimeter", "millimeters"),
    "kg": ("kilogram", "kilograms"),
    "g": ("gram", "grams"),
    "mg": ("milligram", "milligrams"),
    "lb": ("pound", "pounds"),
    "lbs": ("pound", "pounds"),
    "mi": ("mile", "miles"),
    "ft": ("foot", "feet"),
    "in": ("inch", "inches"),
    "l": ("liter", "liters"),
    "ml": ("milliliter", "milliliters"),
    "mph": ("mile per hour", "miles per hour"),
    "km/h": ("kilometer per hour", "kilometers per hour"),
    "°C": ("degree Celsius", "degrees Celsius"),
    "°F": ("degree Fahrenheit", "degrees Fahrenheit"),
    "GB": ("gigabyte", "gigabytes"),
    "MB": ("megabyte", "megabytes"),
    "kWh": ("kilowatt hour", "kilowatt hours"),
}
CURRENCIES = {
    "$": ("dollar", "dollars", "cent", "cents"),
    "£": ("pound", "pounds", "penny", "pence"),
    "€": ("euro", "euros", "cent", "cents"),
    "₹": ("rupee", "rupees", "paisa", "paise"),
    "৳": ("taka", "taka", "poisha", "poisha"),
}
SCALES = ("thousand", "million", "billion", "trillion")
DIGIT_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
MAX_CARDINAL_DIGITS = 15
"""Longer whole numbers are read digit by digit: a listener hears them as card or serial numbers,
not amounts, and num2words overflows on long enough ones."""
# A number starts where no digit precedes it: without the look-behind, a pattern that fails
# after a long run of digits is tried again from every digit in the run (quadratic time).
_NUMBER = r"(?<!\d)\d+(?:\.\d+)?"


def normalize_english(text: str) -> str:
    """English text with numbers, dates, times, money, units and abbreviations in words."""
    text = expand_abbreviations(text)
    text = expand_phone_numbers(text)
    text = re.sub(r"(?<=\d),(?=\d{3}\b)", "", text)
    text = expand_dates(text)
    text = expand_times(text)
    text = expand_currency(text)
    text = expand_percent(text)
    text = expand_ordinals(text)
    text = expand_units(text)
    text = expand_ranges(text)
    text = expand_numbers(text)
    return " ".join(text.split())


def cardinal(number: float | int) -> str:
    """num2words, without its commas: "one thousand, two hundred" reads with a pause."""
    return num2words(number).replace(",", "")


def read_digits(digits: str) -> str:
    """Digit by digit: 2024 two zero two four."""
    return " ".join(DIGIT_WORDS[int(d)] for d in digits if d.isdecimal())


def whole_number(digits: str) -> str:
    """A whole number written in digits, in words; past MAX_CARDINAL_DIGITS digit by digit."""
    if len(digits) > MAX_CARDINAL_DIGITS:
        return read_digits(digits)
    return cardinal(int(digits))


def decimal(text: str) -> str:
    """3.14 three point one four; 1.50 one point five zero."""
    whole, _, fraction = text.partition(".")
    said = whole_number(whole)
    if fraction:
        said += " point " + read_digits(fraction)
    return said


def ordinal(digits: str) -> str:
    """21 twenty-first; past MAX_CARDINAL_DIGITS digit by digit, as no one says such an ordinal."""
    if len(digits) > MAX_CARDINAL_DIGITS:
        return read_digits(digits)
    return num2words(int(digits), to="ordinal")


def year(number: int) -> str:
    """1999 nineteen ninety-nine, 2005 two thousand five, 2024 twenty twenty-four."""
    return num2words(number, to="year").replace(" and ", " ")


def expand_abbreviations(text: str) -> str:
    """Dr. Doctor, Mr. Mister, e.g. for example ..."""
    for short, full in ABBREVIATIONS.items():
        text = re.sub(rf"(?<![\w.]){re.escape(short)}(?=\s|$)", full, text)
    return text


def expand_phone_numbers(text: str) -> str:
    """(555) 123-4567, 555-123-4567, +1 555 123 4567: digit by digit, in groups."""
    pattern = r"(?<![\w])(\+\d{1,3}[\s.-]?)?\(?\d{3}\)?[\s.-]\d{3}[\s.-]\d{4}(?![\w])"

    def say(match: re.Match[str]) -> str:
        groups = re.findall(r"\+|\d+", match.group(0))
        words = []
        for group in groups:
            words.append("plus" if group == "+" else read_digits(group))
        return ", ".join(words)

    return re.sub(pattern, say, text)


def expand_dates(text: str) -> str:
    """03/12/2024 (month first) and March 12, 2024 → March twelfth, twenty twenty-four."""

    def numeric(match: re.Match[str]) -> str:
        month, day, year_value = (int(group) for group in match.groups())
        if not (1 <= month <= 12 and 1 <= day <= 31):
            return match.group(0)
        return f"{MONTHS[month - 1]} {num2words(day, to='ordinal')}, {year(year_value)}"

    text = re.sub(r"\b(\d{1,2})/(\d{1,2})/(\d{4})\b", numeric, text)
    months = "|".join(MONTHS)

    def named(match: re.Match[str]) -> str:
        said = f"{match.group(1)} {num2words(int(match.group(2)), to='ordinal')}"
        return f"{said}, {year(int(match.group(3)))}" if match.group(3) else said

    return re.sub(rf"\b({months})\s+(\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s+(\d{{4}}))?\b", named, text)


def expand_times(text: str) -> str:
    """3:30 pm three thirty p m, 10:05 ten oh five, 3:00 three o'clock."""

    def say(match: re.Match[str]) -> str:
        hour, minute, meridiem = int(match.group(1)), int(match.group(2)), match.group(3)
        if hour > 24 or minute > 59:
            return match.group(0)
        if minute == 0:
            said = f"{cardinal(hour)}" + ("" if meridiem else " o'clock")
        elif minute < 10:
            said = f"{cardinal(hour)} oh {cardinal(minute)}"
        else:
            said = f"{cardinal(hour)} {cardinal(minute)}"
        if meridiem:
            said += " " + " ".join(meridiem.lower().replace(".", ""))
        return said

    return re.sub(r"\b(\d{1,2}):(\d{2})\b(?:\s*([AaPp]\.?[Mm]\.?))?", say, text)


def expand_currency(text: str) -> str:
    """$1.5 million one point five million dollars; $3.50 three dollars and fifty cents."""
    symbols = "".join(re.escape(symbol) for symbol in CURRENCIES)
    scales = "|".join(SCALES)

    def say(match: re.Match[str]) -> str:
        one, many, cent, cents = CURRENCIES[match.group(1)]
        amount, scale = match.group(2), match.group(3)
        if scale:
            return f"{decimal(amount)} {scale} {many}"
        whole, _, fraction = amount.partition(".")
        said = whole_number(whole)
        said += f" {one if said == 'one' else many}"
        value = int(fraction.ljust(2, "0")[:2])
        if value:
            said += f" and {cardinal(value)} {cent if value == 1 else cents}"
        return said

    return re.sub(rf"([{symbols}])\s?({_NUMBER})(?:\s+({scales})\b)?", say, text)


def expand_percent(text: str) -> str:
    """50% fifty percent."""
    return re.sub(rf"({_NUMBER})\s?%", lambda m: f"{decimal(m.group(1))} percent", text)


def expand_ordinals(text: str) -> str:
    """1st first, 22nd twenty-second."""
    return re.sub(r"\b(\d+)(?:st|nd|rd|th)\b", lambda m: ordinal(m.group(1)), text)


def expand_units(text: str) -> str:
    """5 km five kilometers, 1 kg one kilogram, 20 °C twenty degrees Celsius."""
    names = "|".join(re.escape(unit) for unit in sorted(UNITS, key=len, reverse=True))

    def say(match: re.Match[str]) -> str:
        one, many = UNITS[match.group(2)]
        return f"{decimal(match.group(1))} {one if match.group(1) == '1' else many}"

    return re.sub(rf"\b({_NUMBER})\s?({names})(?![\w/])", say, text)


def expand_ranges(text: str) -> str:
    """10-15 ten to fifteen."""
    return re.sub(
        rf"\b({_NUMBER})\s?[-–]\s?({_NUMBER})\b",
        lambda m: f"{decimal(m.group(1))} to {decimal(m.group(2))}",
        text,
    )


def expand_numbers(text: str) -> str:
    """Years (1100 to 2099 alone), negatives, decimals and cardinals."""
    text = re.sub(
        r"(?<![\w.-])(1[1-9]\d\d|20\d\d)(?![\w.]|\.\d)", lambda m: year(int(m.group(1))), text
    )
    text = re.sub(rf"(?<![\w])[-−]({_NUMBER})", lambda m: f"minus {decimal(m.group(1))}", text)
    return re.sub(_NUMBER, lambda m: decimal(m.group(0)), text)
