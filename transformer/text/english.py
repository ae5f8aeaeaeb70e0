"""English (en) text normalization: NeMo's grammar does numbers, dates, times, money and units;
the rules here rewrite, before it, what it reads otherwise than a person would (phone numbers,
feet and inches, Roman numerals, "AT&T", "#5", URLs, versions, ranges, decades, units it does
not know, abbreviations), and tidy what it says after. Where NeMo has no say (grammar not
compiled, input too long, its failure), `fallback` reads the numbers."""

import re
from collections.abc import Callable
from decimal import Decimal

from num2words import num2words

from transformer.text import nemo

MAX_CARDINAL_DIGITS = 15
"""Longer whole numbers are read digit by digit: a listener hears them as card or serial numbers,
not amounts, and num2words overflows on long enough ones."""
DIGIT_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
ABBREVIATIONS = {
    "Mrs.": "Missus",
    "Ms.": "Mizz",
    "Dept.": "Department",
    "Univ.": "University",
    "Assn.": "Association",
    "a/c": "account",
    "w/o": "without",
    "Prof.": "Professor",
    "Sen.": "Senator",
    "Rep.": "Representative",
    "Gov.": "Governor",
    "Lt.": "Lieutenant",
    "Sgt.": "Sergeant",
    "Capt.": "Captain",
    "Col.": "Colonel",
    "Gen.": "General",
    "Inc.": "Incorporated",
    "Corp.": "Corporation",
    "Ltd.": "Limited",
    "Rt. Hon.": "Right Honorable",
    "Hon.": "Honorable",
    "Rd.": "Road",
    "Jr.": "Junior",
    "Sr.": "Senior",
    "approx.": "approximately",
    "Approx.": "approximately",
    "Ave.": "Avenue",
    "Apt.": "Apartment",
    "Blvd.": "Boulevard",
    "Ph.D.": "P h D",
    "etc.": "et cetera",
    "e.g.": "for example",
    "i.e.": "that is",
    "vs.": "versus",
}
"""What NeMo leaves as written, or says otherwise ("misses")."""
BEFORE_NUMBER = {
    "No.": "number",
    "p.": "page",
    "pp.": "pages",
    "Fig.": "Figure",
    "vol.": "volume",
    "Vol.": "Volume",
}
"""Abbreviations that mean what they do only before a number."""
CURRENCY_NAMES = {"$": "dollar", "£": "pound", "€": "euro"}
"""An amount used as an adjective says its currency in the singular: a $100 bill."""
CURRENCY_CODES = {"USD": "$", "US$": "$", "EUR": "€", "GBP": "£", "INR": "₹", "Rs.": "₹", "Rs": "₹"}
"""ISO codes written before an amount, rewritten as the symbol NeMo reads ("USD 100")."""
VULGAR_FRACTIONS = {"½": "one half", "¼": "one quarter", "¾": "three quarters", "⅓": "one third"}
WEEKDAY_ABBREVIATIONS = {
    "Mon": "Monday",
    "Tue": "Tuesday",
    "Tues": "Tuesday",
    "Wed": "Wednesday",
    "Thu": "Thursday",
    "Thur": "Thursday",
    "Thurs": "Thursday",
    "Fri": "Friday",
    "Sat": "Saturday",
    "Sun": "Sunday",
}
DOSE_UNITS = frozenset(
    ["mg", "g", "kg", "ml", "mL", "mcg", "tablets", "tablet", "capsules", "pills"]
)
"""Units after "2 x 500": a count of doses, said "times"."""
SCORE_WORDS = "won|lost|beat|defeated|drew|tied|leads?|led|trails?|trailed|score was|scored|final"
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
DATE_CUES = "on|by|until|till|through|before|after|since|from|ends?|due|starting|effective"
"""Words after which a month/day ("ends 12/31") is a date rather than a fraction."""
UNITS = {
    "m": ("meter", "meters"),
    "mm": ("millimeter", "millimeters"),
    "g": ("gram", "grams"),
    "L": ("liter", "liters"),
    "GB": ("gigabyte", "gigabytes"),
    "MB": ("megabyte", "megabytes"),
    "TB": ("terabyte", "terabytes"),
    "km/h": ("kilometer per hour", "kilometers per hour"),
    "kWh": ("kilowatt hour", "kilowatt hours"),
    "tbsp": ("tablespoon", "tablespoons"),
    "tsp": ("teaspoon", "teaspoons"),
    "hrs": ("hour", "hours"),
    "hr": ("hour", "hours"),
    "min": ("minute", "minutes"),
    "sec": ("second", "seconds"),
    "W": ("watt", "watts"),
    "V": ("volt", "volts"),
    "Mbps": ("megabit per second", "megabits per second"),
    "GHz": ("gigahertz", "gigahertz"),
    "oz": ("ounce", "ounces"),
    "mL": ("milliliter", "milliliters"),
    "gal": ("gallon", "gallons"),
    "hPa": ("hectopascal", "hectopascals"),
    "mins": ("minute", "minutes"),
    "s": ("second", "seconds"),
    "kcal": ("kilocalorie", "kilocalories"),
    "ha": ("hectare", "hectares"),
    "µg": ("microgram", "micrograms"),
    "mcg": ("microgram", "micrograms"),
    "mmol": ("millimole", "millimoles"),
    "dL": ("deciliter", "deciliters"),
    "yrs": ("year", "years"),
    "yr": ("year", "years"),
    "secs": ("second", "seconds"),
    "sq ft": ("square foot", "square feet"),
}
"""Units NeMo leaves as letters ("3 m" three M)."""
REGNAL_NAMES = frozenset(
    [
        "Louis",
        "Henry",
        "Elizabeth",
        "George",
        "Charles",
        "Edward",
        "William",
        "James",
        "Richard",
        "Philip",
        "Frederick",
        "Napoleon",
        "Paul",
        "Benedict",
        "Pius",
        "Leo",
        "Gregory",
        "Peter",
        "Catherine",
        "Mary",
        "Victoria",
        "John",
        "Alexander",
        "Nicholas",
        "Ivan",
        "Ferdinand",
        "Isabella",
        "Juan",
        "Carlos",
        "Felipe",
        "Willem",
        "Gustav",
        "Harald",
        "Olav",
        "Rama",
        "Boniface",
        "Innocent",
        "Clement",
        "Urban",
        "Alfonso",
        "Wilhelm",
        "Ludwig",
        "Otto",
        "Constantine",
        "Francis",
        "Sixtus",
    ]
)
"""Names a Roman numeral follows as an ordinal: Louis XIV, Louis the fourteenth."""
NUMBERED_BY_ROMAN = frozenset(
    [
        "Chapter",
        "Part",
        "Section",
        "Volume",
        "Book",
        "Act",
        "Scene",
        "Episode",
        "Title",
        "Article",
        "War",
        "Bowl",
        "Phase",
        "Stage",
        "Level",
        "Type",
        "Class",
        "Category",
        "Grade",
        "Round",
        "Game",
        "Appendix",
        "Vol",
    ]
)
"""Words a Roman numeral follows as a cardinal: Chapter XII, chapter twelve."""
ROMAN_VALUES = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100}
WEEKDAYS = "Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday"
MINUTE_WORDS = "|".join(DIGIT_WORDS[1:])
TENS_AND_TEENS = (
    "ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen "
    "twenty thirty forty fifty sixty seventy eighty ninety"
)
NUMBER_WORDS = "|".join(DIGIT_WORDS[1:]) + "|" + TENS_AND_TEENS.replace(" ", "|")

_ROMAN = r"(?:L?X{0,3}|XL|XC)(?:IX|IV|V?I{0,3})"
_PHONE = re.compile(
    r"(?<![\w+])(?:"
    r"\+\d{1,3}(?:[\s.-]\(?\d{1,6}\)?){2,4}"  # +44 20 7946 0958, +91 98765 43210
    r"|(?:1[\s.-])?\(?\d{3}\)?[\s.-]?\d{3}[\s.-]\d{4}"  # (555) 123-4567, 1-800-555-0199
    r"|\d{3}-\d{4}"  # 555-0199
    r"|0\d{2,4}[\s-]\d{3,4}[\s-]\d{3,4}"  # 020 7946 0000
    r")(?![\w-]|\.\d)"
)


def normalize_english(text: str, fallback: Callable[[str], str]) -> str:
    """English text with numbers, dates, times, money, units and abbreviations in words."""
    if re.fullmatch(r"\s*\d{1,15}\s*", text):
        # NeMo reads a number that stands alone as a code (12345 one two three four five).
        return fallback(text).strip()
    text = text.replace("−", "-")  # the minus sign NeMo does not know
    said = nemo.read(before_nemo(text), "en", fallback, after_nemo)
    return " ".join(said.split())


def before_nemo(text: str) -> str:
    """`text` with what NeMo misreads rewritten into what it reads right (or into words)."""
    text = expand_urls(text)
    text = expand_phone_numbers(text)
    text = expand_extensions_and_hours(text)
    text = expand_everyday_forms(text)
    text = expand_month_day(text)
    text = expand_abbreviations(text)
    text = expand_initialisms(text)
    text = expand_feet_and_inches(text)
    text = expand_roman_numerals(text)
    text = expand_symbols(text)
    text = expand_versions(text)
    text = expand_decades(text)
    text = expand_arithmetic(text)
    text = expand_ranges(text)
    text = expand_units(text)
    text = expand_money(text)
    return expand_letters_and_digits(text)


def after_nemo(said: str) -> str:
    """NeMo's words, tidied: "a m" for its "AM", "oh" for its "o", "and" before cents."""
    said = re.sub(r"\b([AP])M\b", lambda m: f"{m.group(1).lower()} m", said)
    # NeMo says "and" in a number's last hundreds only (three hundred forty five thousand six
    # hundred and seventy eight): said the American way throughout, with none.
    said = re.sub(rf"\bhundred and (?=(?:{NUMBER_WORDS})\b)", "hundred ", said)
    said = re.sub(rf"(?<=\w) o (?=(?:{MINUTE_WORDS})\b)", " oh ", said)
    said = re.sub(
        rf"\b(dollars?|euros?|pounds?) (?=(?:(?:{NUMBER_WORDS})[ -]?)+ (?:cents?|pence)\b)",
        r"\1 and ",
        said,
    )
    return said.replace("etcetera", "et cetera")


def read_digits(digits: str) -> str:
    """Digit by digit: 2024 two zero two four."""
    return " ".join(DIGIT_WORDS[int(d)] for d in digits if d.isdecimal())


def ordinal(digits: str) -> str:
    """21 twenty-first; past MAX_CARDINAL_DIGITS digit by digit, as no one says such an ordinal."""
    if len(digits) > MAX_CARDINAL_DIGITS:
        return read_digits(digits)
    return num2words(int(digits), to="ordinal")


def expand_urls(text: str) -> str:
    """https://example.com/a example dot com slash a: no one reads the scheme aloud."""

    def say(match: re.Match[str]) -> str:
        url = re.sub(r"^https?://", "", match.group(0)).rstrip("/")
        url = re.sub(r"^www\.", "w w w.", url)
        url = re.sub(r":(\d+)", lambda m: f":{read_digits(m.group(1))}", url)  # a port
        words = {".": " dot ", "/": " slash ", "-": " dash ", "_": " underscore ", ":": " colon "}
        said = "".join(words.get(ch, ch) for ch in url.lower())
        # bbc, nhs: a name with no vowel is said letter by letter.
        return re.sub(r"\b[b-df-hj-np-tv-z]{2,4}\b", lambda m: " ".join(m.group(0)), said)

    return re.sub(
        r"\bhttps?://[^\s<>\"']+[^\s<>\"'.,;:!?)]|\bwww\.[\w-]+(?:\.[\w-]+)+(?:/[^\s<>\"']*[^\s<>\"'.,;:!?)])?",
        say,
        text,
    )


def expand_phone_numbers(text: str) -> str:
    """(555) 123-4567, 555-0199, +44 20 7946 0958: digit by digit, in groups; 911 likewise."""

    def say(match: re.Match[str]) -> str:
        groups = re.findall(r"\+|\d+", match.group(0))
        words = ["plus" if group == "+" else read_digits(group) for group in groups]
        return ", ".join(words).replace("plus, ", "plus ")

    text = _PHONE.sub(say, text)
    text = re.sub(r"(?<![\w.,$])911(?![\w/,]|\.\d)", "nine one one", text)
    return re.sub(
        r"(?i:\b(call|dial|ring|phone|text)\s+)(999|112|000|111|101)\b(?![\w/,]|\.\d)",
        lambda m: f"{m.group(1)} {read_digits(m.group(2))}",
        text,
    )


def expand_abbreviations(text: str) -> str:
    """Mrs. Missus, St. Saint or Street, No. 5 number five, U.K. U K ..."""
    for short, full in ABBREVIATIONS.items():
        text = re.sub(rf"(?<![\w.]){re.escape(short)}(?=\s|$|,)", full, text)
    for short, full in BEFORE_NUMBER.items():
        text = re.sub(rf"(?<![\w.]){re.escape(short)}\s*(?=\d)", full + " ", text)
    # Main St. The shop...: a street that ends a sentence pySBD did not end.
    text = re.sub(r"(?<=[a-z] )([A-Z]\w*) St\.(?=\s+[A-Z])", r"\1 Street.", text)
    text = re.sub(r"(?<=[a-z] )([A-Z]\w*) St\.", r"\1 Street", text)
    return re.sub(r"(?<![\w.])St\.(?=\s+[A-Z])", "Saint", text)


def expand_initialisms(text: str) -> str:
    """U.K. U K, a.m. a m (the full stop kept at the end of the text)."""

    def say(match: re.Match[str]) -> str:
        letters = " ".join(match.group(1).replace(".", ""))
        return letters + ("." if match.group(2) is not None and match.end() == len(text) else "")

    return re.sub(r"(?<![\w.])((?:[A-Za-z]\.){1,}[A-Za-z])(\.)?(?![\w])", say, text)


def expand_feet_and_inches(text: str) -> str:
    """6'2" six feet two inches, 5 ft 9 in five feet nine inches, 3' three feet."""

    def feet(number: str) -> str:
        return f"{number} foot" if number == "1" else f"{number} feet"

    def inches(number: str) -> str:
        return f"{number} inch" if number == "1" else f"{number} inches"

    text = re.sub(
        r"(?<![\w.])(\d+)\s*(?:'|′|ft\.?)\s*(\d+)\s*(?:\"|″|in\b\.?)",
        lambda m: f"{feet(m.group(1))} {inches(m.group(2))}",
        text,
    )
    text = re.sub(r"(?<![\w.])(\d+)(?:'|′)(?![\w'])", lambda m: feet(m.group(1)), text)
    return re.sub(r"(?<![\w.])(\d+)(?:\"|″)(?!\w)", lambda m: inches(m.group(1)), text)


def roman_value(numeral: str) -> int:
    """XIV 14."""
    total = 0
    for letter, following in zip(numeral, [*numeral[1:], ""], strict=True):
        value = ROMAN_VALUES[letter]
        total += -value if following and ROMAN_VALUES[following] > value else value
    return total


def expand_roman_numerals(text: str) -> str:
    """Louis XIV Louis the fourteenth, Chapter XII chapter twelve, Super Bowl LVIII fifty-eight."""

    def say(match: re.Match[str]) -> str:
        name, numeral = match.group(1), match.group(2)
        value = roman_value(numeral)
        if name in REGNAL_NAMES:
            return f"{name} the {num2words(value, to='ordinal')}"
        if name in NUMBERED_BY_ROMAN or (len(numeral) > 1 and numeral != "XL"):
            return f"{name} {num2words(value)}"
        return match.group(0)

    return re.sub(
        rf"\b([A-Z][a-z]+) ({_ROMAN})(?![\w'-])",
        lambda m: say(m) if m.group(2) else m.group(0),
        text,
    )


def expand_symbols(text: str) -> str:
    """AT&T A T and T, #5 number five, #tag hashtag tag, ~100 about 100, 3 × 4 = 12 three times
    four equals twelve, x = 5 x equals five, 10 > 5, ±2, Leeds → London, 24/7, 50/50, 4/5 stars."""
    text = re.sub(r"(?<=\d) ?[×x*] ?(?=\d[\d.,]*\s*=)", " times ", text)
    text = re.sub(
        r"\b([A-Z]{1,3})&([A-Z]{1,3})\b",
        lambda m: f"{' '.join(m.group(1))} and {' '.join(m.group(2))}",
        text,
    )
    text = re.sub(r"\s*&\s*", " and ", text)
    text = re.sub(r"#(?=[A-Z]?\d)", "number ", text)
    text = re.sub(r"(?<![\w&])#(?=[A-Za-z])", "hashtag ", text)
    text = re.sub(r"~\s*(?=\d)", "about ", text)
    text = re.sub(r"(?<=\d) / (?=\d)", " divided by ", text)
    text = re.sub(r"(?<=[\w)]) ?= ?(?=[-−\w(])", " equals ", text)
    text = re.sub(r"(?<=\w) ?> ?(?=[-\w$£€])", " greater than ", text)
    text = re.sub(r"(?<=\w) ?< ?(?=[-\w$£€])", " less than ", text)
    text = re.sub(
        r"(?<=\d) ?/ ?(?=(?:month|year|week|day|night|hour|person|head|kg|unit)\b)", " per ", text
    )
    text = re.sub(r"±\s?", " plus or minus ", text)
    text = re.sub(r"(?<=\d) ?÷ ?(?=\d)", " divided by ", text)
    text = re.sub(r"\s?(?:→|->)\s?", " to ", text)
    text = re.sub(r"\b24/7\b", "twenty-four seven", text)
    text = re.sub(r"\b(\d{1,3})/\1\b", lambda m: f"{m.group(1)} {m.group(1)}", text)
    return re.sub(r"\b(\d)/(\d+)(?= stars?\b)", r"\1 out of \2", text)


def expand_versions(text: str) -> str:
    """2.0.1 two point zero point one, v3.11 version three point one one."""
    text = re.sub(r"\bv(?=\d+(?:\.\d+)*\b)", "version ", text)
    return re.sub(
        r"(?<![\w.])\d+(?:\.\d+){2,4}(?![\w]|\.\d)",
        lambda m: " point ".join(m.group(0).split(".")),
        text,
    )


def decade(number: int) -> str:
    """1970 nineteen seventies, 2000 two thousands, 1800 eighteen hundreds, 90 nineties."""
    words = num2words(number, to="year") if number >= 100 else num2words(number)
    words = words.replace(" and ", " ").replace(",", "")
    return words[:-1] + "ies" if words.endswith("y") else words + "s"


def expand_decades(text: str) -> str:
    """The 1970s, '90s, 1960's: nineteen seventies, nineties, nineteen sixties."""
    return re.sub(
        r"(?<![\w.])[’']?(\d{1,3}0)[’']?s\b",
        lambda m: decade(int(m.group(1))),
        text,
    )


def expand_ranges(text: str) -> str:
    """10-20% ten to twenty percent, 1939-1945, Monday-Friday Monday to Friday."""
    text = re.sub(
        r"(?<![\w.,-])(\$?\d{1,3}(?:,\d{3})+|\$?\d+(?:\.\d+)?)\s?[-–]\s?"
        r"(?=\$?(?:\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)(?![\w-]|\.\d|,\d))",
        r"\1 to ",
        text,
    )
    return re.sub(rf"\b({WEEKDAYS})\s?[-–]\s?(?=(?:{WEEKDAYS})\b)", r"\1 to ", text)


def expand_units(text: str) -> str:
    """3 m three meters, 250g two hundred fifty grams: units NeMo spells as letters; a rate,
    13.2 g/dL, per the second unit (thirteen point two grams per deciliter)."""
    names = "|".join(re.escape(unit) for unit in sorted(UNITS, key=len, reverse=True))
    text = re.sub(
        rf"(?<=\d)(\s?)({names}|km|kg|mg|ml|L)/({names}|km|kg|L|l|h|day|week|year)\b",
        lambda m: m[0] if f"{m[2]}/{m[3]}" in UNITS else f"{m[1]}{m[2]} per {m[3]}",
        text,
    )
    text = re.sub(rf"\bper ({names})\b", lambda m: f"per {UNITS[m.group(1)][0]}", text)

    def say(match: re.Match[str]) -> str:
        one, many = UNITS[match.group(2)]
        amount = VULGAR_FRACTIONS.get(match.group(1), match.group(1))
        return f"{amount} {one if match.group(1) in ('1', *VULGAR_FRACTIONS) else many}"

    fractions = "".join(VULGAR_FRACTIONS)
    text = re.sub(
        rf"(?<![\w.$£€₹])(\d+(?:\.\d+)?|[{fractions}])\s?({names})(?![\w/])\.?(?=\s|$|,)",
        say,
        text,
    )
    return re.sub(r"(?<![\w.])(\d+(?:\.\d+)?)¢", r"\1 cents", text)


def expand_money(text: str) -> str:
    """$85k eighty-five thousand dollars, a $100 bill a one hundred dollar bill, ₹500 rupees,
    USD 100 (and EUR, GBP, INR, Rs.) as the sign NeMo reads."""
    for code, symbol in CURRENCY_CODES.items():
        text = re.sub(rf"(?<![\w$]){re.escape(code)}\s?(?=\d)", symbol, text)

    def thousands(match: re.Match[str]) -> str:
        return f"{match.group(1)}{(Decimal(match.group(2)) * 1000).normalize():f}"

    text = re.sub(r"([$£€])(\d{1,12}(?:\.\d{1,3})?)[kK]\b", thousands, text)
    text = re.sub(r"([$£€])(\d+(?:\.\d+)?)(?:M|m|mn)\b", r"\1\2 million", text)
    text = re.sub(
        r"\b([Aa]n?) ([$£€])(\d[\d,]*(?:\.\d+)?(?: (?:thousand|million|billion|trillion))?) "
        r"(?!(?:and|or|to|for|per|a|an|the|in|on|of|each|at|by|from|with)\b)(?=[a-z])",
        lambda m: f"{m.group(1)} {m.group(3)} {CURRENCY_NAMES[m.group(2)]} ",
        text,
    )
    return re.sub(
        r"₹\s?(\d[\d,]*(?:\.\d+)?)",
        lambda m: f"{m.group(1)} {'rupee' if m.group(1) == '1' else 'rupees'}",
        text,
    )


def expand_letters_and_digits(text: str) -> str:
    """MP3 M P three, 4x4 four by four, BA249 B A two four nine, 49ers forty-niners, Boeing 747
    seven forty-seven."""
    # A multiplication sign between a room's sides is "by" too; elsewhere "times".
    text = re.sub(
        r"(?<=\d) ?× ?(?=\d+(?:\.\d+)?\s?"
        r"(?:mm|cm|m|km|ft|in|feet|inches|(?:milli|centi|kilo)?meters?)\b)",
        " by ",
        text,
    )
    text = re.sub(r"(?<![\w.])(\d+(?:\.\d+)?) ?x ?(?=(\d+(?:\.\d+)?)(\s*\w+)?)", _times_or_by, text)
    text = re.sub(r"(?<=\d) ?× ?(?=\d)", " times ", text)
    text = re.sub(r"(?<=\d) ?(cm|mm|m|in|ft|inches|feet) ?[x×] ?(?=\d)", r" \1 by ", text)
    text = re.sub(r"\b(Boeing|Airbus A)\s?(\d)(\d\d)\b", r"\1 \2 \3", text)
    text = re.sub(
        r"\b(\d+)ers\b",
        lambda m: (
            num2words(int(m.group(1)))
            + ("rs" if num2words(int(m.group(1))).endswith("e") else "ers")
        ),
        text,
    )
    text = re.sub(
        r"\b([A-Z]{1,3})(\d{3,})\b",
        lambda m: f"{' '.join(m.group(1))} {read_digits(m.group(2))}",
        text,
    )
    text = re.sub(r"\b([A-Z]{2,3})(?=\d)", lambda m: " ".join(m.group(1)) + " ", text)
    text = re.sub(r"(?<=\d)([A-Z]{2,3})\b", lambda m: " " + " ".join(m.group(1)), text)
    return re.sub(
        r"\b([BCDFGHJKLMNPQRSTVWXZ]{2,3})(s?)\b",
        lambda m: " ".join(m.group(1)) + m.group(2),
        text,
    )


def expand_extensions_and_hours(text: str) -> str:
    """ext. 204 extension two zero four; 0800 hours oh eight hundred hours."""
    text = re.sub(
        r"\b(?:ext|Ext)\.?\s?(\d{1,6})\b", lambda m: f"extension {read_digits(m.group(1))}", text
    )

    def hours(match: re.Match[str]) -> str:
        hour, minute = int(match.group(1)), int(match.group(2))
        said = ("oh " if hour < 10 else "") + num2words(hour)
        said += " hundred" if minute == 0 else (" oh " if minute < 10 else " ") + num2words(minute)
        return f"{said} hours"

    return re.sub(r"(?<![\w:.])([01]\d|2[0-3])([0-5]\d) hours\b", hours, text)


def expand_month_day(text: str) -> str:
    """Offer ends 12/31 Offer ends December thirty-first: a month/day after a word that asks for
    a date (elsewhere 3/4 is a fraction)."""

    def say(match: re.Match[str]) -> str:
        month, day = int(match.group(2)), int(match.group(3))
        if not (1 <= month <= 12 and 1 <= day <= 31):
            return match.group(0)
        return f"{match.group(1)} {MONTHS[month - 1]} {num2words(day, to='ordinal')}"

    return re.sub(rf"\b((?i:{DATE_CUES}))\s+(\d{{1,2}})/(\d{{1,2}})(?![\d/]|\.\d)", say, text)


def expand_arithmetic(text: str) -> str:
    """10 - 4 = 6 ten minus four equals six, 5 + 3 five plus three, -$42 minus forty-two
    dollars."""
    text = re.sub(r"(?<![\w.])[-−](?=[$£€₹]\d)", "minus ", text)
    # expand_symbols has said "=" by now.
    text = re.sub(r"(?<=\d) [-−] (?=\d[\d.,]*\s*(?:=|equals\b))", " minus ", text)
    return re.sub(r"(?<=\d) \+ (?=\d)", " plus ", text)


def expand_everyday_forms(text: str) -> str:
    """Forms that everyday text writes one way and people say another: weekday abbreviations
    (Fri. Friday), day-first dotted dates (31.12.2025), card expiry (expires 06/27), 24-hour
    whole hours (14:00 fourteen hundred), time ranges (9am–5pm), ratios (16:9 sixteen to nine),
    blood pressure (120/80 over), scores (won 6-4 six four), order and card numbers digit by
    digit (#4521, ending 4821)."""
    weekdays = "|".join(WEEKDAY_ABBREVIATIONS)
    text = re.sub(
        rf"\b({weekdays})\.?\s?[–-]\s?({weekdays})\b\.?",
        lambda m: f"{WEEKDAY_ABBREVIATIONS[m[1]]} to {WEEKDAY_ABBREVIATIONS[m[2]]}",
        text,
    )
    # Sun, Sat and Wed are words too ("the Sun."): those only before a date or after "on".
    plain = "|".join(day for day in WEEKDAY_ABBREVIATIONS if day not in ("Sun", "Sat", "Wed"))
    months = "|".join(MONTHS) + "|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec"
    text = re.sub(
        rf"\b({weekdays})\b\.?(?=,?\s+(?:\d|(?:{months})\b))|\b({plain})\b\.?(?=,|\s*[.?!]?\s*$)",
        lambda m: WEEKDAY_ABBREVIATIONS[m.group(1) or m.group(2)],
        text,
    )
    text = re.sub(
        rf"\b(on|until|till|by|from|next|last|every|this) ({weekdays})\b\.?(?!\s+[A-Z])",
        lambda m: f"{m.group(1)} {WEEKDAY_ABBREVIATIONS[m.group(2)]}",
        text,
    )

    def dotted(match: re.Match[str]) -> str:
        day, month, year_value = (int(group) for group in match.groups())
        if not (1 <= day <= 31 and 1 <= month <= 12):
            return match.group(0)
        year_said = num2words(year_value, to="year").replace(" and ", " ")
        return f"the {num2words(day, to='ordinal')} of {MONTHS[month - 1]} {year_said}"

    text = re.sub(r"(?<![\d.])(\d{1,2})\.(\d{1,2})\.(\d{4})(?!\d|\.\d)", dotted, text)
    text = re.sub(
        r"(?i:\b(expires?|exp\.?|expiry|valid thru|valid through)\s+)(0[1-9]|1[0-2])/(\d{2})\b",
        lambda m: (
            f"{m.group(1)} {MONTHS[int(m.group(2)) - 1]} "
            f"{num2words(2000 + int(m.group(3)), to='year')}"
        ),
        text,
    )
    text = re.sub(r"(?<![\d:.])(\d{1,2}:\d\d)\s?[-–]\s?(?=\d{1,2}:\d\d(?!\d))", r"\1 to ", text)
    text = re.sub(
        r"(?<![\d:])(1[3-9]|2[0-3]):00(?![\d:])(?!\s*[AaPp]\.?[Mm])",
        lambda m: f"{num2words(int(m.group(1)))} hundred",
        text,
    )
    text = re.sub(
        r"(?:(?<=[AaPp][Mm])|(?<=\d))\s?[–-]\s?(?=\d{1,2}(?::\d\d)?\s?[AaPp]\.?[Mm]\b)",
        " to ",
        text,
    )
    text = re.sub(r"(?i:\b(odds)\b)(\s+(?:of\s+)?)(\d{1,3})/(\d{1,3})\b", r"\1\2\3 to \4", text)
    # 16:9, a 3:1 mix: a ratio where the words say so; else two numbers (John 3:5, verse five).
    text = re.sub(
        r"(?i:\b(ratio|odds|aspect|mix|mixed|scale|proportion)\b)([^.\d]{0,30}?)(\d{1,3}):(\d{1,3})\b",
        r"\1\2\3 to \4",
        text,
    )
    text = re.sub(
        r"(?<![\d:.])(\d{1,3}):(\d{1,3})(?![\d:])(?=\s+(?i:ratio|screen|display|aspect|format|odds|monitor|TV)\b)",
        r"\1 to \2",
        text,
    )
    text = re.sub(r"(?<![\d:.])(\d{1,2}):(\d)(?![\d:])", r"\1 \2", text)
    # A season or fiscal year, 1990/91 or 2023-24: nineteen ninety ninety-one.
    text = re.sub(
        r"(?<![\d/.-])(1[5-9]\d\d|20\d\d)[/–-](\d\d)(?![\d/]|\.\d)",
        lambda m: (
            f"{num2words(int(m[1]), to='year')} {num2words(int(m[2]))}"
            if int(m[2]) == (int(m[1]) + 1) % 100
            else m[0]
        ),
        text,
    )
    # Marks out of a total (got 18/20, rate it 4/5), and a cricket score (287/6, runs for wickets).
    text = re.sub(
        r"(?i:\b(got|scored?|scoring|rated?|rating|marks?|graded?)\b)(\s+(?:it\s+|a\s+)?)(\d{1,3})/(\d{1,3})\b",
        r"\1\2\3 out of \4",
        text,
    )
    text = re.sub(
        r"(?<![\d/.])(\d{2,3})/(10|[0-9])(?![\d/])",
        lambda m: f"{m[1]} for {m[2]}" if int(m[1]) >= 50 else m[0],
        text,
    )
    text = re.sub(
        r"(?i:\b(pressure|BP)\b)([^.\d]{0,20}?)(\d{2,3})/(\d{2,3})\b", r"\1\2\3 over \4", text
    )

    def sets(match: re.Match[str]) -> str:
        return re.sub(r"(\d+)-(\d+)", r"\1 \2", match.group(0))

    # A match won in sets, 6-4, 7-5: six four, seven five (one score alone reads "to").
    text = re.sub(
        rf"\b(?:{SCORE_WORDS})\s+\d{{1,2}}-\d{{1,2}}(?:,\s*\d{{1,2}}-\d{{1,2}})+", sets, text
    )
    text = re.sub(
        r"\b(\d{1,2})-(\d{1,2})(?= (?:draw|tie|win|victory|loss|defeat)\b)", r"\1 \2", text
    )
    text = re.sub(
        r"(?i:\b(ticket|order|account|reference|ref|invoice|booking|case|policy|member) no\.?)",
        r"\1 number",
        text,
    )
    text = re.sub(r"#(\d{4,})\b", lambda m: f"number {read_digits(m.group(1))}", text)
    return re.sub(
        r"(?i:\b(ending|ending in|ends in|last four digits)\s+)(\d{4})\b",
        lambda m: f"{m.group(1)} {read_digits(m.group(2))}",
        text,
    )


def _times_or_by(match: re.Match[str]) -> str:
    """3 x 5 cards, 8.5 x 11 paper, 2x4: a size, "by"; 3 x 4? and 2 x 500 mg: "times"; 0x1F, hex,
    as written."""
    first, unit = match.group(1), (match.group(3) or "").strip()
    if first == "0" and " " not in match.group(0):
        return match.group(0)
    if unit in DOSE_UNITS or re.search(r"[?=]", match.string):
        return f"{first} times "
    return f"{first} by "
