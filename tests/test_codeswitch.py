"""Code-switching: mixed-script text said segment by segment, transliterated, or refused."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from transformer.plan import Piece, plan
from transformer.request import Limits, SpeechRequest, SpeechRequestError
from transformer.text.codeswitch import (
    ForeignTextError,
    check_speakable,
    foreign_share,
    runs,
    segments,
    transliterate,
)
from transformer.text.ssml import Pause


def said(parts):
    return [(part.text, part.language) for part in parts]


def test_a_bangla_sentence_with_english_words_is_said_in_both_where_the_voice_speaks_both():
    assert said(segments("আমি Google এ কাজ করি।", "bn", ["en", "bn"])) == [
        ("আমি", "bn"),
        ("Google", "en"),
        ("এ কাজ করি।", "bn"),
    ]


def test_the_voice_spelling_of_a_language_is_what_the_segment_carries():
    # XTTS lists zh-cn; the segment must name the language as the model knows it.
    assert said(segments("Say 你好 now", "en", ["en", "zh-cn"])) == [
        ("Say", "en"),
        ("你好", "zh-cn"),
        ("now", "en"),
    ]


def test_chinese_characters_among_kana_are_japanese():
    parts = segments("東京に行きます, ok", "en", ["en", "ja", "zh-cn"])
    assert said(parts) == [("東京に行きます,", "ja"), ("ok", "en")]


def test_english_words_for_a_bangla_only_voice_are_written_in_bangla_letters():
    [segment] = segments("আমি Google এ কাজ করি।", "bn", ["bn"])
    assert segment.language == "bn"
    assert segment.text == "আমি গুগল এ কাজ করি।"
    assert segment.written == "আমি Google এ কাজ করি।"


def test_bangla_words_for_an_english_only_voice_are_romanized_not_dropped():
    [segment] = segments("The word আমি means me.", "en", ["en_US"])
    assert segment.text == "The word ami means me."
    assert segment.language == "en"


def test_digits_and_punctuation_stay_with_the_words_before_them():
    assert runs("Hi, 5 বার! ok") == [("Hi, 5 ", "LATIN"), ("বার! ", "BENGALI"), ("ok", "LATIN")]
    assert runs("...৫টি") == [("...৫টি", "BENGALI")]
    assert runs("12, 13!") == [("12, 13!", None)]


def test_bangla_digits_romanize_to_ascii_digits_and_count_as_no_foreign_letters():
    assert transliterate("১২৩ টাকা", "en") == "123 taka"
    assert foreign_share("১২৩", "en", ["en"]) == 0.0
    assert foreign_share("Pay ১২৩ টাকা", "en", ["en"]) == 4 / 7


def test_text_mostly_in_a_script_the_voice_cannot_say_is_refused_naming_its_languages():
    with pytest.raises(ForeignTextError) as error:
        check_speakable("আমার সোনার বাংলা, আমি তোমায় ভালোবাসি", "en", ["en_US"], "voice 'joe'")
    message = str(error.value)
    assert "mostly in Bengali script" in message
    assert "voice 'joe' cannot say: it speaks en_US;" in message


def test_a_text_in_the_request_language_the_voice_does_not_speak_is_refused_too():
    with pytest.raises(ForeignTextError, match="it speaks en;"):
        check_speakable("আমি ভাত খাই", "bn", ["en"], "voice 'joe'")


def test_a_sentence_that_switches_too_often_is_one_segment_transliterated():
    parts = segments("aক " * 50, "bn", ["bn", "en"])
    assert len(parts) == 1 and parts[0].language == "bn"
    assert len(segments("Hi আমি ok আমি fine আমি bye আমি", "bn", ["bn", "en"])) == 8


def test_a_few_foreign_words_pass():
    check_speakable("The word আমি means me, and so does this sentence.", "en", ["en"], "v")
    check_speakable("আমার সোনার বাংলা", "en", ["en", "bn"], "v")  # the voice speaks Bangla


def test_the_plan_says_each_segment_in_its_language_without_a_pause_inside_a_sentence():
    request = SpeechRequest("আমি Google এ ১০টা কাজ করি। Thank you.", language="bn")
    steps = plan(request, "bn", Limits(), spoken=["en", "bn"])
    pieces = [(s.text, s.language) for s in steps if isinstance(s, Piece)]
    assert pieces == [
        ("আমি", "bn"),
        ("Google", "en"),
        ("এ দশটা কাজ করি।", "bn"),
        ("Thank you.", "en"),
    ]
    assert [type(s).__name__ for s in steps] == ["Piece", "Piece", "Piece", "Pause", "Piece"]


def test_the_plan_refuses_text_the_voice_cannot_say_as_a_request_error():
    request = SpeechRequest("আমার সোনার বাংলা, আমি তোমায় ভালোবাসি।", voice="joe")
    with pytest.raises(SpeechRequestError, match="voice 'joe' cannot say: it speaks en"):
        plan(request, "en", Limits(), spoken=["en"])


def test_unknown_voice_languages_leave_the_text_as_one_language():
    request = SpeechRequest("আমি Google এ কাজ করি।", language="bn")
    [piece] = plan(request, "bn", Limits(), spoken=None)
    assert (piece.text, piece.language) == ("আমি Google এ কাজ করি।", "bn")


def test_ssml_lang_parts_are_checked_against_the_voice_too():
    ssml = '<speak>Hello. <lang xml:lang="bn">আমার সোনার বাংলা, আমি তোমায় ভালোবাসি।</lang></speak>'
    request = SpeechRequest(ssml, ssml=True)
    with pytest.raises(SpeechRequestError, match="mostly in Bengali script"):
        plan(request, "en", Limits(), spoken=["en"])
    steps = plan(request, "en", Limits(), spoken=["en", "bn"])
    assert [s.language for s in steps if not isinstance(s, Pause)] == ["en", "bn"]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from([*"aZ ,.!?5৫", "আমি", "Google", "東京", "に", "Привет", "\u0301", "।"]),
        max_size=40,
    ).map("".join),
    st.sampled_from(["en", "bn", "ja", "ru"]),
    st.lists(st.sampled_from(["en", "bn", "zh-cn", "ja", "ru", "fr"]), max_size=3),
)
def test_any_mix_segments_without_losing_a_letter(text, language, spoken):
    parts = segments(text, language, spoken)
    written = "".join(part.written for part in parts)
    assert written.replace(" ", "") == text.replace(" ", "")
    for part in parts:
        assert part.language == language or part.language in spoken
        assert part.text.strip()
