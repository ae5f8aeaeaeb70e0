"""Money, units of measure, percentages and fractions, as Bangla news and shops write them."""

import re

from transformer.text.bangla.numbers import (
    BOUNDARY_AFTER,
    BOUNDARY_BEFORE,
    NUMBER,
    amount,
    cardinal,
    decimal,
    whole_number,
)

CURRENCIES = {
    "৳": ("টাকা", "পয়সা"),
    "Tk": ("টাকা", "পয়সা"),
    "BDT": ("টাকা", "পয়সা"),
    "$": ("ডলার", "সেন্ট"),
    "US$": ("মার্কিন ডলার", "সেন্ট"),
    "€": ("ইউরো", "সেন্ট"),
    "£": ("পাউন্ড", "পেন্স"),
    "₹": ("রুপি", "পয়সা"),
    "Rs": ("রুপি", "পয়সা"),
}
"""Signs and codes before or after an amount: the unit, and the hundredth of it."""
SCALES = r"(?:হাজার|লাখ|লক্ষ|কোটি|মিলিয়ন|বিলিয়ন|ট্রিলিয়ন)"
UNITS = {
    "কিমি/ঘণ্টা": "কিলোমিটার প্রতি ঘণ্টা",
    "কি.মি./ঘণ্টা": "কিলোমিটার প্রতি ঘণ্টা",
    "km/h": "কিলোমিটার প্রতি ঘণ্টা",
    "kmph": "কিলোমিটার প্রতি ঘণ্টা",
    "বর্গকিমি": "বর্গকিলোমিটার",
    "বর্গ কিমি": "বর্গ কিলোমিটার",
    "কি.মি.": "কিলোমিটার",
    "কি. মি.": "কিলোমিটার",
    "কিমি": "কিলোমিটার",
    "km": "কিলোমিটার",
    "কি.গ্রা.": "কিলোগ্রাম",
    "কেজি": "কেজি",
    "kg": "কেজি",
    "Kg": "কেজি",
    "KG": "কেজি",
    "মি.গ্রা.": "মিলিগ্রাম",
    "মিগ্রা": "মিলিগ্রাম",
    "mg": "মিলিগ্রাম",
    "গ্রা.": "গ্রাম",
    "gm": "গ্রাম",
    "g": "গ্রাম",
    "সে.মি.": "সেন্টিমিটার",
    "সেমি": "সেন্টিমিটার",
    "cm": "সেন্টিমিটার",
    "মি.মি.": "মিলিমিটার",
    "মিমি": "মিলিমিটার",
    "mm": "মিলিমিটার",
    "মি.লি.": "মিলিলিটার",
    "মিলি": "মিলিলিটার",
    "ml": "মিলিলিটার",
    "মি.": "মিটার",
    "m": "মিটার",
    "লি.": "লিটার",
    "ltr": "লিটার",
    "l": "লিটার",
    "L": "লিটার",
    "ft": "ফুট",
    "kW": "কিলোওয়াট",
    "MW": "মেগাওয়াট",
    "ডিগ্রি সে.": "ডিগ্রি সেলসিয়াস",
    "ডিগ্রি সেঃ": "ডিগ্রি সেলসিয়াস",
    "°সে.": "ডিগ্রি সেলসিয়াস",
    "°সে": "ডিগ্রি সেলসিয়াস",
    "° সে.": "ডিগ্রি সেলসিয়াস",
    "° সে": "ডিগ্রি সেলসিয়াস",
    "°C": "ডিগ্রি সেলসিয়াস",
    "℃": "ডিগ্রি সেলসিয়াস",
    "°ফা.": "ডিগ্রি ফারেনহাইট",
    "°ফা": "ডিগ্রি ফারেনহাইট",
    "°F": "ডিগ্রি ফারেনহাইট",
    "℉": "ডিগ্রি ফারেনহাইট",
    "°": "ডিগ্রি",
}
"""Abbreviations said in full after a number (৫ কিমি পাঁচ কিলোমিটার); কেজি is said as written."""
MEASURES = (
    r"(?:কেজি|কিলো\w*|গ্রাম|লিটার|মিটার|মিলি\w*|সেন্টিমিটার|ফুট|ইঞ্চি|গজ|মাইল|টন|মণ|একর|বিঘা|"
    r"শতক|কাঠা|কাপ|চামচ|ঘণ্টা|বছর|মাস|সপ্তাহ|দিন|কোটি|লাখ|হাজার|মিলিয়ন|বিলিয়ন|ডজন)"
)
"""Words before which ২.৫ is আড়াই and ১/২ is আধা."""
FRACTION_WORDS = {
    3: "তৃতীয়াংশ",
    4: "চতুর্থাংশ",
    5: "পঞ্চমাংশ",
    6: "ষষ্ঠাংশ",
    7: "সপ্তমাংশ",
    8: "অষ্টমাংশ",
    9: "নবমাংশ",
    10: "দশমাংশ",
}
ADDRESS_WORDS = (
    r"(?:বাড়ি|বাসা|রোড|সড়ক|হোল্ডিং|ফ্ল্যাট|প্লট|লেন|ব্লক|সেক্টর|গলি|নম্বর|নং|স্কোর|House|Road|"
    r"Flat|Plot)"
)
"""Words after which ১২/৩ is বারো বাই তিন, as addresses are read."""

_UNIT_NAMES = "|".join(re.escape(unit) for unit in sorted(UNITS, key=len, reverse=True))
_CURRENCY_SIGNS = r"US\$|\$|৳|€|£|₹|Tk\.?|BDT|Rs\.?"


def _currency(sign: str) -> tuple[str, str]:
    return CURRENCIES[sign.rstrip(".")]


def money(number: str, unit: tuple[str, str], scale: str | None = None) -> str:
    """১২.৫০ টাকা বারো টাকা পঞ্চাশ পয়সা; ২.৫ কোটি টাকা আড়াই কোটি টাকা."""
    if scale:
        return f"{amount(number)} {scale} {unit[0]}"
    whole, _, fraction = number.partition(".")
    cents = int(fraction.ljust(2, "0")[:2] or 0)
    if cents and not int(whole or 0):
        return f"{cardinal(cents)} {unit[1]}"  # ৳০.৫০ পঞ্চাশ পয়সা
    said = f"{whole_number(whole)} {unit[0]}"
    if cents:
        said += f" {cardinal(cents)} {unit[1]}"
    return said


def _taka(number: str, ending: str) -> str:
    """১২.৫০ টাকায় বারো টাকা পঞ্চাশ পয়সায়: the ending moves to the last word."""
    return money(number, CURRENCIES["৳"]) + ending


def expand_currency(text: str) -> str:
    """৳৫০০, ৳ ৫০০/-, ৫০০/- টাকা, ১২.৫০ টাকা, Tk 50, 50 BDT, $১০, £২০, ₹৫০০, ৳২.৫ কোটি → words
    with the unit after the amount, as it is said (৳২.৫ কোটি আড়াই কোটি টাকা)."""
    text = re.sub(
        rf"({_CURRENCY_SIGNS})\s?({NUMBER})(?:\s*/-)?(?:\s*({SCALES}){BOUNDARY_AFTER})?",
        lambda m: f" {money(m[2], _currency(m[1]), m[3])} ",
        text,
    )
    text = re.sub(
        rf"({NUMBER})\s*(?:/-)?\s*(Tk\.?|BDT)(?![\w])",
        lambda m: f" {money(m[1], _currency(m[2]))} ",
        text,
    )
    text = re.sub(
        rf"({NUMBER})\s*(?:/-\s*)?টাকা([\u0980-\u09FF]*)",
        lambda m: _taka(m[1], m[2]) if "." in m[1] else f"{m[1]} টাকা{m[2]}",
        text,
    )
    text = re.sub(rf"({NUMBER})\s*/-\s*(?=ডলার|রুপি|ইউরো|পাউন্ড)", lambda m: f"{m[1]} ", text)
    return re.sub(rf"({NUMBER})\s*/-", lambda m: f" {money(m[1], CURRENCIES['৳'])} ", text)


def expand_units(text: str) -> str:
    """After a number: কিমি কিলোমিটার, কি.মি. কিলোমিটার, গ্রা. গ্রাম, মি. মিটার, লি. লিটার, মিলি
    মিলিলিটার, km কিলোমিটার, kg কেজি, কিমি/ঘণ্টা কিলোমিটার প্রতি ঘণ্টা, °সে ডিগ্রি সেলসিয়াস, °F
    ডিগ্রি ফারেনহাইট; the number itself is left to the number rules."""
    return re.sub(
        rf"(?<=\d)(\s?)({_UNIT_NAMES})(?:(?<=\.)|{BOUNDARY_AFTER})",
        lambda m: f" {UNITS[m[2]]}",
        text,
    )


def expand_halves(text: str) -> str:
    """Before a measure or লাখ/কোটি, halves as said: ২.৫ কেজি আড়াই কেজি, ১.৫ লাখ দেড় লাখ, ৩.৫
    কিমি সাড়ে তিন কিমি, ২ ১/২ কেজি আড়াই কেজি."""
    text = re.sub(r"(?<![\d.])(\d{1,3})\s?½", r"\1.5", text)
    text = re.sub(
        r"(?<![\d./])(\d{1,3})\s+1/2(?![\d/])",
        lambda m: amount(f"{m[1]}.5"),
        text,
    )
    return re.sub(
        rf"({NUMBER})(?=\s*{MEASURES})",
        lambda m: amount(m[1]) if "." in m[1] else m[0],
        text,
    )


def expand_percent(text: str) -> str:
    """২৫% পঁচিশ শতাংশ, ১০-১৫% দশ থেকে পনেরো শতাংশ."""
    text = re.sub(
        rf"({NUMBER})\s?%?\s*[-–]\s*({NUMBER})\s?%",
        lambda m: f"{decimal(m[1])} থেকে {decimal(m[2])} শতাংশ",
        text,
    )
    return re.sub(rf"({NUMBER})\s?%", lambda m: f"{decimal(m[1])} শতাংশ", text)


def fraction(numerator: int, denominator: int, before_a_measure: bool = False) -> str | None:
    """৩/৪ তিন-চতুর্থাংশ, ১/৩ এক-তৃতীয়াংশ, ১/২ অর্ধেক (আধা before a measure: আধা কেজি), ৭/১৬
    ষোলো ভাগের সাত; None where it is no fraction less than one."""
    if not 0 < numerator < denominator:
        return None
    if (numerator, denominator) == (1, 2):
        return "আধা" if before_a_measure else "অর্ধেক"
    if denominator in FRACTION_WORDS:
        return f"{cardinal(numerator)}-{FRACTION_WORDS[denominator]}"
    return f"{cardinal(denominator)} ভাগের {cardinal(numerator)}"


def expand_fractions(text: str) -> str:
    """Slashes: fractions (৩/৪ তিন-চতুর্থাংশ, ½ আধা), addresses and road numbers (বাড়ি ১২/৩ বাড়ি
    বারো বাই তিন, ১২/ক বারো বাই ক), ৯/১১ as the name it is, anything else with বাই."""
    text = text.replace("½", " আধা ").replace("¼", " এক-চতুর্থাংশ ").replace("¾", " তিন-চতুর্থাংশ ")
    text = re.sub(r"(?<![\d/.])9/11(?![\d/])", "নাইন ইলেভেন", text)
    text = re.sub(
        rf"{BOUNDARY_BEFORE}({ADDRESS_WORDS}\s*(?:নং|নম্বর)?\s*[:ঃ#]?\s*)(\d+)/(\d+|[\u0995-\u09B9A-Za-z])"
        r"(?![\d/])",
        lambda m: f"{m[1]}{whole_number(m[2])} বাই {_slash_part(m[3])}",
        text,
    )
    text = re.sub(
        r"(?<![\d/.])(\d+)/([\u0985-\u09B9A-Za-z])(?![\w\u0980-\u09FF/])",
        lambda m: f"{whole_number(m[1])} বাই {m[2]}",
        text,
    )

    def slash(match: re.Match[str]) -> str:
        numerator, denominator = match[1], match[2]
        if len(numerator) > 6 or len(denominator) > 6:
            return f"{whole_number(numerator)} বাই {whole_number(denominator)}"
        measure = re.match(rf"\s*{MEASURES}", text[match.end() : match.end() + 20])
        said = fraction(int(numerator), int(denominator), bool(measure))
        return said or f"{whole_number(numerator)} বাই {whole_number(denominator)}"

    return re.sub(r"(?<![\d/.])(\d+)/(\d+)(?![\d/])", slash, text)


def _slash_part(part: str) -> str:
    return whole_number(part) if part.isdecimal() else part
