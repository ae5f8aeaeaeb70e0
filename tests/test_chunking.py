"""Splitting long text into pieces a model accepts."""

import pytest

from voxraga.chunking import split_to_fit


def test_short_text_is_one_piece_with_whitespace_collapsed():
    assert split_to_fit("  Hello\n  world. ", 100) == ["Hello world."]


def test_empty_text_is_no_pieces():
    assert split_to_fit("   ", 10) == []


def test_sentences_are_packed_while_they_fit():
    text = "One two. Three four. Five six. Seven eight."
    assert split_to_fit(text, 22) == ["One two. Three four.", "Five six. Seven eight."]
    assert split_to_fit(text, 20) == ["One two. Three four.", "Five six.", "Seven eight."]


def test_bangla_sentences_split_at_dari():
    text = "আমি ভাত খাই। তুমি কী করো? সে বাড়ি যায়।"
    assert split_to_fit(text, 15) == ["আমি ভাত খাই।", "তুমি কী করো?", "সে বাড়ি যায়।"]


def test_a_long_sentence_splits_at_commas_then_words():
    text = "alpha beta gamma, delta epsilon zeta, eta theta iota kappa lambda mu"
    pieces = split_to_fit(text, 20)
    assert all(len(piece) <= 20 for piece in pieces)
    assert pieces[:2] == ["alpha beta gamma,", "delta epsilon zeta,"]
    assert " ".join(pieces) == text


def test_a_word_longer_than_the_limit_is_cut():
    assert split_to_fit("a" * 25, 10) == ["a" * 10, "a" * 10, "a" * 5]


@pytest.mark.parametrize("limit", [1, 7, 50, 250])
def test_no_piece_exceeds_the_limit_and_no_character_is_lost(limit):
    text = "Long text, with clauses; and sentences. " * 20 + "Supercalifragilistic!"
    pieces = split_to_fit(text, limit)
    assert all(0 < len(piece) <= limit for piece in pieces)
    assert "".join(pieces).replace(" ", "") == text.replace(" ", "")


def test_limit_below_one_is_refused():
    with pytest.raises(ValueError, match="at least 1"):
        split_to_fit("x", 0)
