"""Numbers that are left once dates, money and phone numbers are read: ordinals, scores,
ratios, ranges, counted nouns, case endings, versions, negatives and plain cardinals."""

import re

from transformer.text.bangla.dates import CASE_ENDING
from transformer.text.bangla.numbers import (
    BOUNDARY_AFTER,
    NUMBER,
    cardinal,
    day_of_month,
    decimal,
    ordinal,
    read_digits,
    whole_number,
    with_case_ending,
)

ENGLISH_ORDINAL = r"(?:st|nd|rd|th)"
SCORE_WORDS = r"(?:গোলে|গোল|ব্যবধানে|সেটে|পয়েন্টে|ম্যাচে|ভোটে|রানে|উইকেটে)"
CLASSIFIERS = ("টি", "টা", "টো", "জন", "খানা", "খানি", "বার")
JOINED_CLASSIFIERS = ("টা",)
CLASSIFIER_ENDINGS = ("", "য়", "র", "ই", "ও", "কে", "তে", "রও")
"""What may follow টা in the same word (৩টায়, ৩টার); টাকা is another word."""
TWO_COUNTED = {"টি": "দুটি", "টো": "দুটো", "জন": "দুজন", "বার": "দুবার"}
"""Two of a thing is said দুটি, দুটো, দুজন, দুবার; দুইটা for the clock and the rest."""
GENERATIONS = {"2": "টু", "3": "থ্রি", "4": "ফোর", "5": "ফাইভ", "6": "সিক্স"}
"""Mobile network generations keep their English numbers: ৫জি ফাইভজি."""


def expand_ordinals(text: str) -> str:
    """১ম প্রথম, ২য় দ্বিতীয়, ৪র্থ চতুর্থ, ৬ষ্ঠ ষষ্ঠ, ২১তম একুশতম, 1st প্রথম; days ১লা পহেলা,
    ২রা দোসরা, ৪ঠা চৌঠা, ৫ই পাঁচই, ২১শে একুশে."""

    def day(match: re.Match[str]) -> str:
        digits = match[1]
        if len(digits) > 2 or not 1 <= int(digits) <= 31:
            return match[0]
        return day_of_month(int(digits))

    text = re.sub(r"(?<![\d.])(\d+)(?:লা|রা|ঠা|ই|শে)" + BOUNDARY_AFTER, day, text)
    text = re.sub(
        r"(?<![\d.])(\d+)(?:\s?তম|য়|র্থ|ষ্ঠ|ম(?=বার)|ম" + BOUNDARY_AFTER + ")",
        lambda m: ordinal(m[1]),
        text,
    )
    return re.sub(rf"(?<![\d.])(\d+){ENGLISH_ORDINAL}\b", lambda m: ordinal(m[1]), text)


def expand_generations(text: str) -> str:
    """৫জি ফাইভ জি, 4G ফোর জি."""
    return re.sub(
        r"(?<![\d.])([2-6])\s?(?:জি|G)(?![\w\u0980-\u09FF])",
        lambda m: f"{GENERATIONS[m[1]]} জি",
        text,
    )


def expand_scores(text: str) -> str:
    """২-১ গোলে দুই-এক গোলে; ১:২ অনুপাতে এক অনুপাত দুই অনুপাতে, অনুপাত ৪০:১ চল্লিশ অনুপাত এক
    (before clock times, which ১:২০ অনুপাতে is not)."""
    text = re.sub(
        rf"(?<![\d.])(\d{{1,3}})\s?[-–:]\s?(\d{{1,3}})(?![\d.])(?=\s*{SCORE_WORDS})",
        lambda m: f"{cardinal(int(m[1]))}-{cardinal(int(m[2]))}",
        text,
    )
    text = re.sub(
        r"(?<=অনুপাত)(\s*[:ঃ]?\s*)(\d+):(\d+)(?![\d:])",
        lambda m: f"{m[1]}{whole_number(m[2])} অনুপাত {whole_number(m[3])}",
        text,
    )
    return re.sub(
        r"(?<![\d.:])(\d+):(\d+)(?![\d:])(?=\s*অনুপাত)",
        lambda m: f"{whole_number(m[1])} অনুপাত {whole_number(m[2])}",
        text,
    )


def expand_ratios(text: str) -> str:
    """What is left of a:b once clock times are read: ১:২ এক অনুপাত দুই."""
    return re.sub(
        r"(?<![\d.:])(\d+):(\d+)(?![\d:])",
        lambda m: f"{whole_number(m[1])} অনুপাত {whole_number(m[2])}",
        text,
    )


def expand_ranges(text: str) -> str:
    """১০-১৫ দশ থেকে পনেরো, ৯ম-১০ম নবম-দশম as read already, ৩-৪টি তিন থেকে চারটি."""
    return re.sub(
        rf"({NUMBER})\s?[-–]\s?({NUMBER})",
        lambda m: f"{decimal(m[1])} থেকে {decimal(m[2])}",
        text,
    )


def expand_case_endings(text: str) -> str:
    """৫-এর পাঁচের, ১০-এ দশে, ১০০-র একশোর, ৮০'র আশির, ১২-তে বারোতে."""
    return re.sub(
        rf"({NUMBER}){CASE_ENDING}",
        lambda m: with_case_ending(decimal(m[1]), m[2]),
        text,
    )


def expand_counted(text: str) -> str:
    """৯টা নয়টা, ৫টি পাঁচটি, ৩জন তিনজন, ২টি দুটি, ২জন দুজন: a classifier stays as written, joined
    or apart."""

    def counted(match: re.Match[str]) -> str:
        digits, space, classifier, rest = match[1], match[2], match[3], match[4]
        if classifier in JOINED_CLASSIFIERS and rest in CLASSIFIER_ENDINGS:
            space = ""  # ৩ টা ডিম তিনটা ডিম: টা and টি are said as part of the number
        if digits == "2" and not space and classifier in TWO_COUNTED:
            return TWO_COUNTED[classifier]
        return f"{whole_number(digits)}{space}{classifier}"

    return re.sub(
        r"(?<![\d.])(\d+)(\s?)(" + "|".join(CLASSIFIERS) + r")(?=([\u0980-\u09FF]*))",
        counted,
        text,
    )


def expand_numbers(text: str) -> str:
    """What is left: versions (২.৩.১ দুই দশমিক তিন দশমিক এক), negatives, decimals and cardinals;
    a number joined to a word (Covid-19, A54) is said apart from it."""
    text = re.sub(
        r"(?<![\d.])\d+(?:\.\d+){2,}(?![\d])",
        lambda m: " দশমিক ".join(whole_number(part) for part in m[0].split(".")),
        text,
    )
    text = re.sub(r"(?<=[A-Za-z])-(?=\d)", " ", text)
    text = re.sub(rf"(?<=[A-Za-z])({NUMBER})", lambda m: f" {decimal(m[1])}", text)
    text = re.sub(rf"(?<=[\u0980-\u09FF]-)({NUMBER})", lambda m: decimal(m[1]), text)
    text = re.sub(rf"({NUMBER})(?=[\u0980-\u09FF])", lambda m: f" {decimal(m[1])}", text)
    text = re.sub(rf"({NUMBER})", lambda m: f" {decimal(m[1])} ", text)
    text = re.sub(r"(?<![^\s(])\.(\d+)", lambda m: f"দশমিক {read_digits(m[1])} ", text)
    # Digits the rules above leave (after a stray point: "5.3.") are still read.
    return re.sub(r"\d+", lambda m: f" {whole_number(m[0])} ", text)


def expand_negatives(text: str) -> str:
    """A minus after a space or at the start is a sign: -৫ ঋণাত্মক ৫, −২.৫ ঋণাত্মক ২.৫, -৳২০০
    ঋণাত্মক ৳২০০ (the number is left to the rules after)."""
    return re.sub(r"(?<![^\s(])[-−](?=[৳$€£]?\d)", "ঋণাত্মক ", text)


def expand_equals(text: str) -> str:
    """Arithmetic as said: = সমান (১ ডলার = ১১০ টাকা), and between numbers + যোগ, × গুণ, ÷ ভাগ,
    and - বিয়োগ before an = (২+২=৪ দুই যোগ দুই সমান চার); ১০x১২ (a size) দশ বাই বারো."""
    text = re.sub(r"(?<=\d) ?\+ ?(?=\d)", " যোগ ", text)
    text = re.sub(r"(?<=\d) ?[×*] ?(?=\d)", " গুণ ", text)
    text = re.sub(r"(?<=\d) ?x ?(?=\d)", " বাই ", text)  # ১০x১২ ফুট, a size
    text = re.sub(r"(?<=\d) ?÷ ?(?=\d)", " ভাগ ", text)
    text = re.sub(r"(?<=\d) [-−] (?=\d+(?:\.\d+)? ?=)", " বিয়োগ ", text)
    return re.sub(r"(?<=[^\s=]) ?= ?(?=[^\s=])", " সমান ", text)


def expand_digit_runs(text: str) -> str:
    """Digits joined to Latin letters in a code (8A7B6C5D) are said one by one."""
    return re.sub(
        r"(?<=[A-Za-z])\d(?=[A-Za-z])|(?<![\w.])\d(?=[A-Za-z]\d)",
        lambda m: f" {read_digits(m[0])} ",
        text,
    )


def expand_sets(text: str) -> str:
    """A match in sets, ৬-৪, ৭-৫: ছয় চার, সাত পাঁচ; a score after ড্র, জয় or ফলাফল (ম্যাচ ড্র ১-১
    এক এক); one score alone is a range."""
    text = re.sub(
        r"\b(ড্র|জয়|হার|ফলাফল|স্কোর) (\d{1,3})-(\d{1,3})(?![\d.-])",
        lambda m: f"{m[1]} {cardinal(int(m[2]))} {cardinal(int(m[3]))}",
        text,
    )
    return re.sub(
        r"(?<![\d.])\d{1,2}-\d{1,2}(?:,\s*\d{1,2}-\d{1,2})+(?![\d.-])",
        lambda m: re.sub(
            r"(\d+)-(\d+)", lambda s: f"{cardinal(int(s[1]))} {cardinal(int(s[2]))}", m[0]
        ),
        text,
    )


def expand_signs(text: str) -> str:
    """Signs said as words: #১ নম্বর এক (#৪৫২১, an order number, digit by digit), #বাংলাদেশ
    হ্যাশট্যাগ বাংলাদেশ, ২৪/৭ চব্বিশ সাত, & অ্যান্ড, ~২০০ প্রায় দুইশো."""
    text = re.sub(r"#(?=[\u0980-\u09FFA-Za-z])", "হ্যাশট্যাগ ", text)
    text = re.sub(r"(?<![\d/])24/7(?![\d/])", "চব্বিশ সাত", text)
    text = re.sub(r"#\s?(\d{1,3})(?!\d)", lambda m: f"নম্বর {m[1]}", text)
    text = re.sub(r"#\s?(\d{4,})", lambda m: f"নম্বর {read_digits(m[1])}", text)
    text = re.sub(r"\s?&\s?", " অ্যান্ড ", text)
    return re.sub(r"~\s?(?=\d)", "প্রায় ", text)


def expand_word_slashes(text: str) -> str:
    """A price per unit, টাকা/কেজি টাকা প্রতি কেজি; a slash between other words that no unit
    claimed (চাল/ডাল/তেল) is a pause."""
    text = re.sub(
        r"(টাকা|ডলার|গ্রাম|কেজি|লিটার|মিলিগ্রাম|মিলিলিটার|কিলোমিটার)\s*/\s*"
        r"(?=কেজি|লিটার|গ্রাম|পিস|ডজন|হালি|ঘণ্টা|দিন|মাস|বছর|জন|কিমি|মিটার|ফুট|বর্গফুট)",
        r"\1 প্রতি ",
        text,
    )
    return re.sub(r"(?<=[\u0980-\u09FF])/(?=[\u0980-\u09FF])", " ", text)
