"""Where sentences end: a person pauses at a sentence's end, never inside "U.K." or after an
initial; Bangla ends at the dari; incremental text completes a sentence once the next begins."""

import pytest

from transformer.plan import Piece, plan
from transformer.request import Limits, SpeechRequest
from transformer.text.sentences import complete_sentences, split_sentences


@pytest.mark.parametrize(
    ("text", "sentences"),
    [
        (
            "The U.K. is large. So is the U.S.A. today.",
            ["The U.K. is large.", "So is the U.S.A. today."],
        ),
        ("J. R. R. Tolkien wrote it. Yes.", ["J. R. R. Tolkien wrote it.", "Yes."]),
        ("Meet me at ten a.m. tomorrow. OK?", ["Meet me at ten a.m. tomorrow.", "OK?"]),
        (
            "It costs three point five dollars. Fine.",
            ["It costs three point five dollars.", "Fine."],
        ),
        ("He said no... Then yes.", ["He said no...", "Then yes."]),
        ("Wait! Really? Yes.", ["Wait!", "Really?", "Yes."]),
        ('He said "stop." Then he left.', ['He said "stop."', "Then he left."]),
        (
            "Dr. Smith and Mr. Jones arrived. They sat.",
            ["Dr. Smith and Mr. Jones arrived.", "They sat."],
        ),
        # As written, before normalization: times, decimals, versions, URLs and addresses.
        ("Meet at 7:45 pm. Then we go.", ["Meet at 7:45 pm.", "Then we go."]),
        ("Meet at 7:45 p.m. Then we go.", ["Meet at 7:45 p.m.", "Then we go."]),
        ("It is 3.5 kg. He paid $3.50. Fine.", ["It is 3.5 kg.", "He paid $3.50.", "Fine."]),
        ("Version 2.0.1 is out. Update.", ["Version 2.0.1 is out.", "Update."]),
        (
            "Go to https://example.com/a.b now. Mail bob.smith@example.co.uk today. Visit "
            "www.nasa.gov. Bye!",
            [
                "Go to https://example.com/a.b now.",
                "Mail bob.smith@example.co.uk today.",
                "Visit www.nasa.gov.",
                "Bye!",
            ],
        ),
        (
            "Dr. Smith came at 10 a.m. on Feb. 2nd. He left.",
            ["Dr. Smith came at 10 a.m. on Feb. 2nd.", "He left."],
        ),
    ],
)
def test_english_sentences_end_where_a_person_pauses(text, sentences):
    assert split_sentences(text, "en", 250) == sentences
    assert split_sentences(text, "en-GB", 250) == sentences


def test_bangla_ends_at_the_dari_and_at_question_and_exclamation_marks():
    text = "আমি ভাত খাই। তুমি কি খাও? হ্যাঁ! ডা. রহমান এলেন।"
    assert split_sentences(text, "bn", 250) == [
        "আমি ভাত খাই।",
        "তুমি কি খাও?",
        "হ্যাঁ!",
        "ডা. রহমান এলেন।",
    ]


def test_bangla_abbreviations_and_decimals_end_no_sentence():
    text = "ড. ইউনূস এলেন। মো. রহিম ১২.৫ কেজি চাল কিনলেন। ভালো।"
    assert split_sentences(text, "bn", 250) == [
        "ড. ইউনূস এলেন।",
        "মো. রহিম ১২.৫ কেজি চাল কিনলেন।",
        "ভালো।",
    ]


@pytest.mark.parametrize(
    ("text", "language", "count"),
    [
        ("Meet me at 7:45 pm. Then we go.", "en", 2),
        ("The U.K. grew 2.5% in Q4. Good.", "en", 2),
        ("সকাল ১০:৩০টায় এলেন। ড. রহমান ৩.৫ কেজি নিলেন।", "bn", 2),
    ],
)
def test_normalized_sentences_keep_the_mark_that_ended_them(text, language, count):
    steps = plan(SpeechRequest(text, language=language), language, Limits())
    pieces = [step.text for step in steps if isinstance(step, Piece)]
    assert len(pieces) == count
    assert all(piece[-1] in ".।" for piece in pieces), pieces
    assert not any(char.isdigit() for piece in pieces for char in piece), pieces


def test_a_long_sentence_is_cut_to_fit():
    pieces = split_sentences("word, " * 100 + "end.", "en", 60)
    assert all(len(p) <= 60 for p in pieces) and " ".join(pieces).endswith("end.")


@pytest.mark.parametrize(
    ("pieces", "spoken"),
    [
        (["Tokens arrive", " one by one.", " The", " next"], ["Tokens arrive one by one."]),
        (["Dr.", " Smith", " is here"], []),
        (["It is 3.", "5 now. Ok"], ["It is 3.5 now."]),
        (["The U.K.", " is big. And"], ["The U.K. is big."]),
    ],
)
def test_incremental_text_completes_a_sentence_once_the_next_begins(pieces, spoken):
    buffer, done = "", []
    for piece in pieces:
        said, buffer = complete_sentences(buffer + piece, "en")
        done += said
    assert done == spoken


def test_incremental_bangla_completes_at_the_dari():
    assert complete_sentences("আমি ভাত খাই।", "bn") == (["আমি ভাত খাই।"], "")
