"""Tables of normalization cases: what a text says, and how a person reads it aloud.

One file per language, `tests/text_cases/<language>.tsv`, one case per line:

    category<TAB>written<TAB>spoken

`spoken` may list readings a person would accept, separated by " | " ("nineteen oh five |
nineteen hundred five"). Blank lines and lines starting with # are skipped. Written text is
taken literally but for two escapes, \\t and \\n. The tests check every case; bench/normalize.py
reads the same tables (and held-out ones, under bench/cases/) to print the share read right.
"""

import unicodedata
from dataclasses import dataclass
from pathlib import Path

CASES_DIR = Path(__file__).parent / "text_cases"


@dataclass(frozen=True)
class Case:
    """One line of a table."""

    category: str
    written: str
    spoken: tuple[str, ...]
    where: str
    """file:line, for a failure message."""


def load_cases(path: Path) -> list[Case]:
    """The cases of one table file."""
    cases = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("\t")
        if len(fields) != 3:
            raise ValueError(f"{path.name}:{number}: want category<TAB>written<TAB>spoken")
        category, written, spoken = fields
        written = written.replace("\\t", "\t").replace("\\n", "\n")
        readings = tuple(reading.strip() for reading in spoken.split(" | "))
        cases.append(Case(category.strip(), written, readings, f"{path.name}:{number}"))
    return cases


def language_cases(language: str, directory: Path = CASES_DIR) -> list[Case]:
    """The table for `language` ("en", "bn", ...)."""
    return load_cases(directory / f"{language}.tsv")


def canonical(text: str) -> str:
    """What two readings must share to count as the same: case, hyphens, commas and spacing
    aside ("Twenty-one, then" reads as "twenty one then"), and য় one code point or two (NFC
    splits it, keyboards do not); sentence ends still count."""
    text = unicodedata.normalize("NFD", text).lower()
    text = text.replace("-", " ").replace("–", " ").replace(",", " ")
    return " ".join(text.split())


def reads_right(output: str, case: Case) -> bool:
    """Whether a normalizer's `output` is one of the readings the case accepts."""
    return canonical(output) in {canonical(reading) for reading in case.spoken}


def case_id(case: Case) -> str:
    """A short pytest id."""
    written = " ".join(case.written.split())
    return f"{case.category}:{written[:40]}"
