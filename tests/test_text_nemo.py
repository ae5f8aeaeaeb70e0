"""The NeMo layer: bounded input, fallbacks where it has no say, one caller at a time."""

import threading
import time

import pytest

from transformer.text import nemo as nemo_module
from transformer.text import normalize, say_numbers
from transformer.text.nemo import (
    GRAMMARS,
    MAX_NEMO_CHARS,
    MAX_PIECE_CHARS,
    Grammars,
    default_grammar_dir,
    pieces,
)


def test_the_grammar_dir_is_the_env_var_else_the_user_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("VOX_GRAMMAR_DIR", str(tmp_path))
    assert default_grammar_dir() == tmp_path
    monkeypatch.delenv("VOX_GRAMMAR_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert default_grammar_dir() == tmp_path / "vox-raga" / "grammars"


def test_a_sentence_is_one_piece():
    sentence = "Dr. Smith paid $5 on Feb. 2nd, at 7:45 p.m. in St. Louis."
    assert list(pieces(sentence)) == [(sentence, True)]


def test_long_text_is_cut_at_clauses_into_bounded_pieces_and_nemo_reads_a_bounded_share():
    text = "We met at 5, then left. " * 200
    cut = list(pieces(text))
    assert all(len(piece) <= MAX_PIECE_CHARS for piece, _ in cut)
    assert " ".join(piece for piece, _ in cut).split() == text.split()
    assert sum(len(piece) for piece, nemo_may in cut if nemo_may) <= MAX_NEMO_CHARS
    assert all(piece.endswith((",", ".")) for piece, _ in cut)


def test_a_run_of_characters_longer_than_a_word_is_not_for_nemo():
    assert list(pieces("1" * 100)) == [("1" * 100, False)]


def test_languages_nemo_lacks_have_their_numbers_said_in_their_own_words():
    assert normalize("Mam 3 koty.", "pl") == "Mam trzy koty."
    assert normalize("Ik heb 21 katten.", "nl") == "Ik heb eenentwintig katten."
    assert normalize("Mám 2 kočky.", "cs") == "Mám dva kočky."
    assert "yirmi" in normalize("20 kedi", "tr")


def test_unknown_languages_keep_their_digits():
    assert normalize("x 5 y", "xx") == "x 5 y"


def test_the_fallback_reads_long_numbers_digit_by_digit():
    assert say_numbers("1" * 20, "en").split() == ["one"] * 20


def test_a_language_not_compiled_yet_is_read_by_the_fallback_and_compiled_in_the_background(
    monkeypatch, tmp_path
):
    grammars = Grammars(tmp_path)
    warmed = []
    monkeypatch.setattr(grammars, "warm", warmed.append)
    assert grammars.normalize("I have 3 apples.", "en") is None
    assert warmed == ["en"]


def test_nemo_failing_on_a_text_falls_back_to_our_rules(monkeypatch):
    GRAMMARS.prepare("en")

    class Broken:
        def normalize(self, text, punct_post_process):
            raise RuntimeError("grammar failed")

    monkeypatch.setitem(GRAMMARS._normalizers, "en", Broken())
    assert normalize("I have 3 apples.", "en") == "I have three apples."


def test_one_language_is_normalized_by_one_thread_at_a_time(monkeypatch):
    GRAMMARS.prepare("en")
    inside, most = [0], [0]

    class Counting:
        def normalize(self, text, punct_post_process):
            inside[0] += 1
            most[0] = max(most[0], inside[0])
            time.sleep(0.01)
            inside[0] -= 1
            return text

    monkeypatch.setitem(GRAMMARS._normalizers, "en", Counting())
    threads = [threading.Thread(target=normalize, args=("a b", "en")) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert most[0] == 1


def test_nemo_time_on_one_text_is_bounded(monkeypatch):
    GRAMMARS.prepare("en")
    calls = []

    class Slow:
        def normalize(self, text, punct_post_process):
            calls.append(text)
            time.sleep(nemo_module.MAX_NEMO_SECONDS)
            return text

    monkeypatch.setitem(GRAMMARS._normalizers, "en", Slow())
    said = normalize("We met at 5, then left. " * 50, "en")
    assert len(calls) == 1
    assert "five" in said


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("He paid $5 on Feb. 2nd.", "He paid five dollars on february second."),
        ("Meet at 7:45 pm.", "Meet at seven forty five p m."),
    ],
)
def test_english_through_nemo(text, said):
    GRAMMARS.prepare("en")
    assert normalize(text, "en") == said
