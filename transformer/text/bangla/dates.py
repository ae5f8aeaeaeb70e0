"""Dates, years and clock times, as a Bangladeshi reads them (day first)."""

import re

from transformer.text.bangla.numbers import (
    BOUNDARY_AFTER,
    cardinal,
    day_of_month,
    whole_number,
    with_case_ending,
    year,
)

MONTHS = (
    "জানুয়ারি",
    "ফেব্রুয়ারি",
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
BANGLA_MONTHS = (
    "বৈশাখ",
    "জ্যৈষ্ঠ",
    "আষাঢ়",
    "শ্রাবণ",
    "ভাদ্র",
    "আশ্বিন",
    "কার্তিক",
    "অগ্রহায়ণ",
    "পৌষ",
    "মাঘ",
    "ফাল্গুন",
    "চৈত্র",
)
HIJRI_MONTHS = (
    "মহররম",
    "সফর",
    "রবিউল আউয়াল",
    "রবিউস সানি",
    "জমাদিউল আউয়াল",
    "জমাদিউস সানি",
    "রজব",
    "শাবান",
    "রমজান",
    "শাওয়াল",
    "জিলকদ",
    "জিলহজ",
)
"""The Hijri calendar's months, in which religious days are dated (১০ মহররম দশই মহররম)."""
MONTH_SPELLINGS = {"ফেব্রুয়ারী": "ফেব্রুয়ারি", "জানুয়ারী": "জানুয়ারি", "অগাস্ট": "আগস্ট"}
ENGLISH_MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
    "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12,
}  # fmt: skip
YEAR_WORDS = r"(?:সাল|সন|খ্রি|খ্রিস্টাব্দ|খ্রিষ্টাব্দ|বঙ্গাব্দ|হিজরি|ইং|অর্থবছর|অর্থ বছর|শিক্ষাবর্ষ|সেশন)"
QUANTITY_WORDS = (
    r"(?:টাকা|ডলার|রুপি|পাউন্ড|ইউরো|পয়সা|জন|টি|টা|টো|খানা|কেজি|কিলো|গ্রাম|লিটার|মিটার|মিলি|"
    r"ফুট|ইঞ্চি|একর|বিঘা|শতক|বর্গ|টন|মণ|শতাংশ|ভাগ|মানুষ|লোক|ব্যক্তি|শিক্ষার্থী|ছাত্র|রোগী|"
    r"পরিবার|কোটি|লাখ|হাজার|মিলিয়ন|বিলিয়ন|ওয়াট|মেগাওয়াট|ডিগ্রি|মিনিট|সেকেন্ড|ঘণ্টা|দিন|মাস|"
    r"বছর|পৃষ্ঠা|রান|গোল|উইকেট|ভোট|আসন|ক্যালরি|সিসি|বার|নম্বর|নং|কিমি|%|/)"
)
"""Words after a number that make it a count, not a year (১৮০০ জন, ১৫০০ টাকা)."""
CASE_ENDING = r"(?:[-'’]?(এর|ের|র|এ|তে)" + BOUNDARY_AFTER + ")"
"""-এর, 'র, -এ, -তে after a number: দশের, দশে."""

_MONTH_NAMES = "|".join(MONTHS + BANGLA_MONTHS + HIJRI_MONTHS)
_MONTH = rf"(?:{_MONTH_NAMES})(?=(?:ের|এর|র|ে)?{BOUNDARY_AFTER})"
_ENGLISH_MONTH = (
    r"\b(Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
    r"|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\b\.?"
)
_TIME_OF_DAY = r"(?:সকাল|দুপুর|বিকাল|বিকেল|সন্ধ্যা|সন্ধ্যায়|রাত|ভোর|মধ্যরাত)"


def _said_year(digits: str, ending: str | None = None) -> str:
    words = year(int(digits)) if len(digits) <= 4 else whole_number(digits)
    return with_case_ending(words, ending) if ending else words


def _full_year(digits: str) -> int:
    number = int(digits)
    if len(digits) == 2:
        return number + (2000 if number <= 30 else 1900)
    return number


def expand_dates(text: str) -> str:
    """Dates in words, day first as in Bangladesh: ১৬/১২/১৯৮১, ১৬-১২-৮১, ১৬.১২.১৯৮১, ১৯৮১-১২-১৬,
    ১৬ ডিসেম্বর, ১৯৭১, ডিসেম্বর ১৬, ১৯৭১ and 16 December 1971 all say ষোলোই ডিসেম্বর
    উনিশশো একাত্তর; বৈশাখ ... চৈত্র dates alike (১লা বৈশাখ পহেলা বৈশাখ)."""
    for wrong, right in MONTH_SPELLINGS.items():
        text = text.replace(wrong, right)
    text = _english_months_in_bangla(text)

    def numeric(day: str, month: str, year_digits: str, ending: str | None, whole: str) -> str:
        day_number, month_number = int(day), int(month)
        if not (1 <= day_number <= 31 and 1 <= month_number <= 12):
            return whole
        said_year = _said_year(str(_full_year(year_digits)), ending)
        return f"{day_of_month(day_number)} {MONTHS[month_number - 1]} {said_year}"

    text = re.sub(
        r"(?<![\d.])(\d{1,2})([/.-])(\d{1,2})\2(\d{4}|\d{2})(?!\d|\.\d)" + CASE_ENDING + "?",
        lambda m: numeric(m[1], m[3], m[4], m[5], m[0]),
        text,
    )
    text = re.sub(
        r"(?<![\d.])(\d{4})([/.-])(\d{1,2})\2(\d{1,2})(?!\d|\.\d)",
        lambda m: numeric(m[4], m[3], m[1], None, m[0]),
        text,
    )
    text = re.sub(
        rf"({_MONTH})\s+(\d{{1,2}})(?:ই|লা|রা|ঠা|শে)?\s*,\s*(\d{{4}})(?!\d)",
        lambda m: f"{m[2]} {m[1]} {m[3]}",
        text,
    )
    text = re.sub(
        rf"(?<![\d.])(\d{{1,2}})(?:ই|লা|রা|ঠা|শে)?\s+(?={_MONTH})",
        lambda m: f"{day_of_month(int(m[1]))} " if 1 <= int(m[1]) <= 31 else m[0],
        text,
    )
    return re.sub(
        rf"({_MONTH})(,?\s+)(\d{{3,4}})(?!\d|\.\d){CASE_ENDING}?",
        lambda m: f"{m[1]}{m[2]}{_said_year(m[3], m[4])}",
        text,
    )


def _english_months_in_bangla(text: str) -> str:
    """December 16, 16 Dec → ডিসেম্বর: a month next to a number in Bangla text is said in Bangla."""

    def bangla(match: re.Match[str]) -> str:
        next_to_a_number = re.fullmatch(r"\d\s", text[max(0, match.start() - 2) : match.start()])
        next_to_a_number = next_to_a_number or re.match(
            r"\s\d", text[match.end() : match.end() + 2]
        )
        return MONTHS[ENGLISH_MONTHS[match[1].lower()[:3]] - 1] if next_to_a_number else match[0]

    return re.sub(_ENGLISH_MONTH, bangla, text)


def expand_years(text: str) -> str:
    """Years as years: ১৯৭১ সালে উনিশশো একাত্তর সালে, ১৯৭১-এর উনিশশো একাত্তরের, ২০২৪-২৫ অর্থবছর
    দুই হাজার চব্বিশ-পঁচিশ অর্থবছর, ১৯৭১-৭২ উনিশশো একাত্তর-বাহাত্তর, ২০০১-২০১০ দুই হাজার এক
    থেকে দুই হাজার দশ; a bare ১১০০-১৯৯৯ that counts nothing (not ১৫০০ টাকা) is a year too."""

    def span(match: re.Match[str]) -> str:
        first, second = match[1], match[2]
        start = int(first)
        ending = match[3]
        if len(second) == 2:
            end_words = cardinal(int(second))
            if ending:
                end_words = with_case_ending(end_words, ending)
            if int(second) == (start + 1) % 100:
                return f"{year(start)}-{end_words}"
            return f"{year(start)} থেকে {end_words}"
        if int(second) <= start:
            return match[0]
        return f"{year(start)} থেকে {_said_year(second, ending)}"

    text = re.sub(
        rf"(?<![\d.:/])(1[1-9]\d\d|20\d\d)\s*[-–]\s*(\d{{4}}|\d{{2}})(?![\d.%:/])"
        rf"(?!\s*{QUANTITY_WORDS}){CASE_ENDING}?",
        span,
        text,
    )
    text = re.sub(
        rf"(?<![\d.:/])(\d{{3,4}})(?![\d.:/])(?=\s*{YEAR_WORDS})",
        lambda m: year(int(m[1])),
        text,
    )
    text = re.sub(
        rf"(?<![\d.:/-])(1[1-9]\d\d|20\d\d)(?![\d.:/]){CASE_ENDING}",
        lambda m: _said_year(m[1], m[2]),
        text,
    )
    return re.sub(
        rf"(?<![\d.:/৳$€£₹-])(1[1-9]\d\d)(?![\d.:/%])(?!\s*{QUANTITY_WORDS})",
        lambda m: year(int(m[1])),
        text,
    )


def clock(hour: int, minute: int, ending: str = "") -> str | None:
    """১০:৩০ সাড়ে দশটা, ৯:১৫ সোয়া নয়টা, ৯:৪৫ পৌনে দশটা, ১:৩০ দেড়টা, ২:৩০ আড়াইটা, ৭:০৫ সাতটা
    পাঁচ মিনিট, ১৪:২০ দুইটা বিশ মিনিট; `ending` য় or র joins the last word (সাড়ে দশটায়).
    None where it is no time of day."""
    if hour > 24 or minute > 59:
        return None
    hours = hour % 12 or 12
    said = f"{cardinal(hours)}টা"
    if minute == 30:
        said = {1: "দেড়টা", 2: "আড়াইটা"}.get(hours, f"সাড়ে {said}")
    elif minute == 15:
        said = f"সোয়া {said}"
    elif minute == 45:
        said = f"পৌনে {cardinal(hours % 12 + 1)}টা"
    elif minute:
        minute_word = {"য়": "মিনিটে", "র": "মিনিটের"}.get(ending, "মিনিট")
        return f"{said} {cardinal(minute)} {minute_word}"
    return said + ending


def expand_times(text: str) -> str:
    """Clock times: ১০:৩০ সাড়ে দশটা, ১০:৩০টায় সাড়ে দশটায়, সকাল ১০:৩০ মিনিটে সকাল দশটা ত্রিশ
    মিনিটে, রাত ৮.৩০ রাত সাড়ে আটটা, ৯:০০-৫:০০ নয়টা থেকে পাঁচটা, ১০টা-১২টা দশটা থেকে বারোটা."""

    def say(match: re.Match[str]) -> str:
        hour, minute, suffix = int(match["hour"]), int(match["minute"]), match["suffix"] or ""
        written = match[0][len(match.groupdict().get("when") or "") :]
        if match["minutes_word"]:
            if hour > 24 or minute > 59:
                return written
            return f"{cardinal(hour % 12 or 12)}টা {cardinal(minute)} {match['minutes_word']}"
        ending = "য়" if suffix.endswith(("য়", "এ")) else "র" if suffix.endswith("র") else ""
        said = clock(hour, minute, ending)
        return written if said is None else said

    time = r"(?P<hour>\d{1,2})SEP(?P<minute>\d{2})(?!\d)"
    after = r"(?:\s*(?P<minutes_word>মিনিট[\u0980-\u09FF]*)|(?P<suffix>\s?টা(?:য়|র)?|-এ|-এর))?"
    text = re.sub(
        r"(?<![\d:.])(\d{1,2}):(\d{2})\s*[-–]\s*(\d{1,2}):(\d{2})(?![\d:])",
        _clock_span,
        text,
    )
    text = re.sub(
        rf"(?<![\d:.])(\d{{1,2}}:\d{{2}})\s*[-–]\s*(?={_TIME_OF_DAY}\s*\d{{1,2}}:\d{{2}}(?!\d))",
        r"\1 থেকে ",
        text,
    )
    text = re.sub(
        rf"(?<![\d:.])(\d{{1,2}})\s?টা\s*[-–]\s*(?=(?:{_TIME_OF_DAY}\s*)?\d{{1,2}}\s?টা)",
        lambda m: f"{cardinal(int(m[1]))}টা থেকে ",
        text,
    )
    # ১০:০০ ঘটিকায় দশ ঘটিকায়: ঘটিকা is the hour already.
    text = re.sub(
        r"(?<![\d:.])(\d{1,2})[:.]00\s*(?=ঘটিকা)", lambda m: f"{cardinal(int(m[1]))} ", text
    )
    dotted = time.replace("SEP", r"\.")
    text = re.sub(r"(?<![\d:.])" + time.replace("SEP", ":") + r"(?!:\d)" + after, say, text)
    return re.sub(
        rf"(?P<when>{_TIME_OF_DAY}\s+)?(?<![\d.]){dotted}"
        rf"(?(when)|(?=\s?টা|\s*মিনিট)){after}",
        lambda m: (m["when"] or "") + say(m),
        text,
    )


def _clock_span(match: re.Match[str]) -> str:
    """৯:০০-৫:০০ নয়টা থেকে পাঁচটা."""
    start = clock(int(match[1]), int(match[2]))
    end = clock(int(match[3]), int(match[4]))
    return match[0] if start is None or end is None else f"{start} থেকে {end}"
