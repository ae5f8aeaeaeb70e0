"""Numbers read digit by digit: phone numbers, hotlines, postcodes, NID, account and serial
numbers, in the groups people read them in."""

import re

from transformer.text.bangla.numbers import BOUNDARY_BEFORE, cardinal, read_digits

PHONE_WORDS = (
    r"(?:হটলাইন|হেল্পলাইন|ফোন|মোবাইল|মোবাঃ|টেলিফোন|টেলিঃ|ফ্যাক্স|কল সেন্টার|কল|যোগাযোগ|বিকাশ|নগদ|"
    r"রকেট|হোয়াটসঅ্যাপ|Phone|Tel|Mobile|Mob|Cell|Hotline|WhatsApp)"
)
IDENTIFIER_WORDS = (
    r"(?:এনআইডি|NID|পরিচয়পত্র|হিসাব|অ্যাকাউন্ট|একাউন্ট|অ্যাকাউন্ট|রোল|রেজিস্ট্রেশন|রেজি|ট্র্যাকিং|"
    r"সিরিয়াল|পিন|PIN|ওটিপি|OTP|চেসিস|চ্যাসিস|ইঞ্জিন|পাসপোর্ট|নিবন্ধন|আইডি|ID|ইনভয়েস|ভাউচার|"
    r"চালান|টিকিট|পিএনআর|কোড|ট্রানজেকশন|TrxID|A/C|AC)"
)
"""Words before a number that is read digit by digit when it has four digits or more."""
POSTCODE_CITIES = (
    r"(?:ঢাকা|চট্টগ্রাম|রাজশাহী|খুলনা|বরিশাল|সিলেট|রংপুর|ময়মনসিংহ|কুমিল্লা|গাজীপুর|নারায়ণগঞ্জ|"
    r"বগুড়া|যশোর|কক্সবাজার|দিনাজপুর|ফরিদপুর|টাঙ্গাইল|নোয়াখালী|পাবনা|কুষ্টিয়া|ফেনী|"
    r"Dhaka|Chattogram|Chittagong|Rajshahi|Khulna|Barishal|Sylhet|Rangpur|Mymensingh)"
)
"""Cities an address ends with, before its postcode (সিলেট ৩১০০)."""
NOT_A_POSTCODE = r"টাকা|জন|টি|টা|সাল|সালে|কিমি|কি\.মি\.|মিটার|বর্গ|একর|ভোট|কোটি|লাখ|হাজার|%"
"""What follows a number that is a quantity, not a postcode: ঢাকা ২০২৪ সালে, ঢাকা ৫০০০ টাকা."""
POSTCODE_WORDS = r"(?:ডাকঘর|পোস্ট ?কোড|পোস্ট অফিস|জিপ ?কোড|Post ?Code|ZIP)"
_LABEL = r"(?:\s*(?:নং|নম্বর|নাম্বার|No\.?|#))?\s*[:ঃ\-]?\s*"
"""What may stand between a word and its number: নং, নম্বর, a colon."""


def _grouped(number: str) -> str:
    groups = [group for group in re.split(r"[\s-]+", number.strip()) if group]
    plus = "প্লাস " if groups and groups[0].startswith("+") else ""
    return plus + ", ".join(read_digits(group) for group in groups if read_digits(group))


def expand_phone_numbers(text: str) -> str:
    """Mobile numbers (01711-123456, +880 1711 123456, 8801711123456), landlines (02-9551234),
    hotlines after হটলাইন or before নম্বরে ফোন (১৬২৬৩, ৯৯৯) digit by digit, in the written groups."""
    text = re.sub(
        r"(?<![\d.])(?:\+\s?880|880|\+88\s?0|88\s?0|0)[\s-]?1[3-9]\d{2}[\s-]?\d{3}\s?\d{3}(?![\d.])",
        lambda m: f" {_mobile(m[0])} ",
        text,
    )
    text = re.sub(
        r"(?<![\d.])(?:\+\s?880[\s-]?|0)[2-9]\d{0,3}-\d{5,8}(?![\d.])",
        lambda m: f" {_grouped(m[0])} ",
        text,
    )
    text = re.sub(
        rf"{BOUNDARY_BEFORE}({PHONE_WORDS}{_LABEL})(\+?\d[\d\s-]{{1,16}}\d)(?![\d.])",
        lambda m: m[1] + _grouped(m[2]),
        text,
    )
    # ৯৯৯, the national emergency number, however it is written about.
    text = re.sub(
        r"(?<![\d.,])999(?![\d.,])(?!\s*(?:টাকা|জন|টি|টা|কেজি|%|সাল))", read_digits("999"), text
    )
    return re.sub(
        r"(?<![\d.])(\d{3,5})(?=-?এ?\s*(?:নম্বরে|নাম্বারে)?\s*(?:ফোন|কল|যোগাযোগ|এসএমএস))",
        lambda m: read_digits(m[1]),
        text,
    )


def _pairs(digits: str) -> str:
    """৩৪৫৬ চৌত্রিশ ছাপ্পান্ন, as number plates are read (০৫ শূন্য পাঁচ)."""
    return " ".join(
        cardinal(int(pair)) if pair[0] != "0" else read_digits(pair)
        for pair in (digits[:2], digits[2:])
    )


def _mobile(number: str) -> str:
    """+880 1711 123456: the country code, then 01711 and the six digits after it."""
    digits = re.sub(r"\D", "", number)
    plus = "প্লাস " if number.lstrip().startswith("+") else ""
    if digits.startswith("880"):
        return f"{plus}{read_digits('880')}, {read_digits(digits[3:7])}, {read_digits(digits[7:])}"
    return f"{read_digits(digits[:5])}, {read_digits(digits[5:])}"


def expand_postcodes(text: str) -> str:
    """ঢাকা-১২০৫, Dhaka-1207, ডাকঘর: ১২০৫, পোস্ট কোড ১২০৫ → digit by digit (ঢাকা এক দুই শূন্য
    পাঁচ); a year after a hyphen (বিশ্বকাপ-২০২২) is left a year."""
    text = re.sub(
        rf"{BOUNDARY_BEFORE}({POSTCODE_WORDS}{_LABEL})(\d{{4}})(?![\d.])",
        lambda m: m[1] + read_digits(m[2]),
        text,
    )
    text = re.sub(
        rf"{BOUNDARY_BEFORE}({POSTCODE_CITIES})\s+(\d{{4}})(?![\d.]|\s*(?:{NOT_A_POSTCODE}))",
        lambda m: f"{m[1]} {read_digits(m[2])}",
        text,
    )
    return re.sub(
        r"(?<=[\u0980-\u09FFA-Za-z])-(\d{4})(?![\d.])",
        lambda m: m[0] if 1900 <= int(m[1]) <= 2099 else f" {read_digits(m[1])}",
        text,
    )


def expand_identifiers(text: str) -> str:
    """NID, account, roll, registration, tracking numbers, PINs, and any number written with a
    leading zero, digit by digit when they have four digits or more (রোল নং ৩৫ stays a number)."""
    text = re.sub(
        rf"{BOUNDARY_BEFORE}({IDENTIFIER_WORDS}{_LABEL})(\d[\d\s-]*\d)(?![\d.])"
        r"(?!\s*(?:সিসি|cc|CC|কিমি|কেজি|টাকা|জন|টি|%))",
        lambda m: m[1] + _grouped(m[2]) if len(re.sub(r"\D", "", m[2])) >= 4 else m[0],
        text,
    )
    # A code of capitals and digits (BD12345, a tracking number) and a number plate (ঢাকা মেট্রো-গ
    # ১২-৩৪৫৬): the series as a number, the rest digit by digit.
    text = re.sub(
        r"(?<![\w\d])([A-Z]{1,4})(\d{4,})(?![\d.])", lambda m: f"{m[1]} {read_digits(m[2])}", text
    )
    text = re.sub(
        r"(মেট্রো)[-\s]?([\u0995-\u09B9])[-\s]?(\d{2})-(\d{4})(?![\d.])",
        lambda m: f"{m[1]} {m[2]} {cardinal(int(m[3]))} {_pairs(m[4])}",
        text,
    )
    return re.sub(r"(?<![\d.])0\d{3,}(?![\d.])", lambda m: read_digits(m[0]), text)
