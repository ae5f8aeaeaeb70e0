"""English normalization: every case of tests/text_cases/en.tsv reads as a person says it."""

import pytest

from tests.text_cases import case_id, language_cases, reads_right
from transformer.text import normalize
from transformer.text.nemo import GRAMMARS

CASES = language_cases("en")


@pytest.fixture(scope="module", autouse=True)
def english_grammar():
    """The English grammar, compiled here if `make grammars` has not (half a minute)."""
    GRAMMARS.prepare("en")


@pytest.mark.parametrize("case", CASES, ids=[case_id(case) for case in CASES])
def test_english_reads_as_a_person_says_it(case):
    said = normalize(case.written, "en")
    assert reads_right(said, case), f"{case.where}: {case.written!r} read as {said!r}"
