"""Bangla abbreviations said in full: titles, company forms, references, honorifics."""

import re

from transformer.text.bangla.numbers import BOUNDARY_AFTER, BOUNDARY_BEFORE

ABBREVIATIONS = {
    "ডা.": "ডাক্তার",
    "ড.": "ডক্টর",
    "মো.": "মোহাম্মদ",
    "মোসা.": "মোসাম্মৎ",
    "মোছা.": "মোছাম্মৎ",
    "মি.": "মিস্টার",
    "মিসেস": "মিসেস",
    "প্রফে.": "প্রফেসর",
    "অধ্যা.": "অধ্যাপক",
    "লি.": "লিমিটেড",
    "প্রা.": "প্রাইভেট",
    "কোং": "কোম্পানি",
    "বি.দ্র.": "বিশেষ দ্রষ্টব্য",
    "বি. দ্র.": "বিশেষ দ্রষ্টব্য",
    "দ্র.": "দ্রষ্টব্য",
    "পৃ.": "পৃষ্ঠা",
    "পো.": "পোস্ট অফিস",
    "নং": "নম্বর",
    "তাং": "তারিখ",
    "রেজি.": "রেজিস্ট্রেশন",
    "খ্রি.পূ.": "খ্রিস্টপূর্ব",
    "খ্রি.": "খ্রিস্টাব্দ",
    "ইং.": "ইংরেজি",
    "ইং": "ইংরেজি",
    "কি.মি.": "কিলোমিটার",
    "সে.মি.": "সেন্টিমিটার",
    "মি.মি.": "মিলিমিটার",
    "কি.গ্রা.": "কিলোগ্রাম",
}
"""Written with a full stop or, as Bangla often writes it, a visarga (ডাঃ, মোঃ, বিঃদ্রঃ)."""
HONORIFICS = {
    "সা.": "সাল্লাল্লাহু আলাইহি ওয়াসাল্লাম",
    "সাঃ": "সাল্লাল্লাহু আলাইহি ওয়াসাল্লাম",
    "রা.": "রাদিয়াল্লাহু আনহু",
    "রাঃ": "রাদিয়াল্লাহু আনহু",
    "রহ.": "রহমাতুল্লাহি আলাইহি",
    "রহঃ": "রহমাতুল্লাহি আলাইহি",
    "আ.": "আলাইহিস সালাম",
    "আঃ": "আলাইহিস সালাম",
}
"""Said after the Prophet's, his companions' and saints' names, written in brackets: (সা.)."""
AFTER_A_YEAR = {"ই.": "ইংরেজি", "ইং": "ইংরেজি", "ইং.": "ইংরেজি", "হি.": "হিজরি", "বাং": "বাংলা"}


def _written_forms() -> dict[str, str]:
    forms = {}
    for short, full in ABBREVIATIONS.items():
        forms[short] = full
        if "." in short:
            forms[short.replace(".", "ঃ")] = full
    return forms


_FORMS = _written_forms()
_ABBREVIATION = re.compile(
    BOUNDARY_BEFORE
    + "("
    + "|".join(re.escape(short) for short in sorted(_FORMS, key=len, reverse=True))
    + ")"
    + rf"(?:(?<=[.ঃ])|{BOUNDARY_AFTER})"
)
_HONORIFIC = re.compile(r"\((" + "|".join(re.escape(short) for short in HONORIFICS) + r")\)")
_AFTER_A_YEAR = re.compile(
    r"(?<=\d)(\s*)("
    + "|".join(re.escape(s) for s in AFTER_A_YEAR)
    + rf")(?:(?<=\.)|{BOUNDARY_AFTER})"
)


def expand_abbreviations(text: str) -> str:
    """ডা. ডাক্তার, ড. ডক্টর, মো./মোঃ মোহাম্মদ, মি. মিস্টার (after a number the unit rules read
    মিটার first), লি. লিমিটেড, বি.দ্র. বিশেষ দ্রষ্টব্য, পৃ. পৃষ্ঠা, নং নম্বর, কোং কোম্পানি, খ্রি.
    খ্রিস্টাব্দ, (সা.) (সাল্লাল্লাহু আলাইহি ওয়াসাল্লাম); বিএনপি-style acronyms are left alone."""
    text = _HONORIFIC.sub(lambda m: f"({HONORIFICS[m[1]]})", text)
    text = _AFTER_A_YEAR.sub(lambda m: f" {AFTER_A_YEAR[m[2]]} ", text)
    return _ABBREVIATION.sub(lambda m: f"{_FORMS[m[1]]} ", text)


def join_initialisms(text: str) -> str:
    """Letters with full stops that no abbreviation above claimed are an initialism, said letter
    by letter: এস.এস.সি এস এস সি, এ.কে.এম. এ কে এম."""
    return re.sub(
        r"(?<![\u0980-\u09FF.])((?:[\u0980-\u09FF]{1,3}\.){2,}[\u0980-\u09FF]{1,3})\.?"
        r"(?![\u0980-\u09FF])",
        lambda m: " ".join(m[1].split(".")),
        text,
    )
