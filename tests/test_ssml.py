"""Basic SSML into utterances and pauses."""

import pytest

from transformer.speech import Limits, SpeechRequestError, build_request, plan
from transformer.text.ssml import Pause, SSMLError, Utterance, looks_like_ssml, parse_ssml


def test_plain_text_is_not_ssml():
    assert not looks_like_ssml("Hello <there>")
    assert looks_like_ssml("  <speak>Hi</speak>")


def test_breaks_paragraphs_and_sentences_become_pauses():
    items = parse_ssml(
        '<speak><p>One.</p><s>Two.</s>Three<break time="300ms"/>four'
        '<break time="1.5s"/><break strength="strong"/></speak>',
        "en",
    )
    assert items == [
        Utterance("One.", "en", 1.0),
        Pause(0.6),
        Utterance("Two.", "en", 1.0),
        Pause(0.25),
        Utterance("Three", "en", 1.0),
        Pause(0.3),
        Utterance("four", "en", 1.0),
        Pause(1.5),
        Pause(0.7),
    ]


@pytest.mark.parametrize(
    ("markup", "said"),
    [
        ('<say-as interpret-as="characters">NASA</say-as>', "N A S A"),
        ('<say-as interpret-as="ordinal">3</say-as>', "third"),
        ('<say-as interpret-as="cardinal">1,234</say-as>', "1234"),
        ('<say-as interpret-as="telephone">555-0100</say-as>', "5 5 5 0 1 0 0"),
        ('<say-as interpret-as="date">03/12/2024</say-as>', "03/12/2024"),
    ],
)
def test_say_as_rewrites_for_the_normalizer(markup, said):
    assert parse_ssml(f"<speak>{markup}</speak>", "en") == [Utterance(said, "en", 1.0)]


def test_say_as_in_bangla():
    items = parse_ssml('<speak><say-as interpret-as="ordinal">২</say-as></speak>', "bn")
    assert items[0].text == "দ্বিতীয়"


def test_sub_prosody_and_lang():
    items = parse_ssml(
        '<speak><sub alias="World Wide Web">WWW</sub><prosody rate="slow">slow '
        '<prosody rate="50%">slower</prosody></prosody>'
        '<lang xml:lang="bn">আমি ১০টা</lang></speak>',
        "en",
    )
    assert items == [
        Utterance("World Wide Web", "en", 1.0, normalized=True),
        Utterance("slow", "en", 0.8),
        Utterance("slower", "en", 0.4),
        Utterance("আমি ১০টা", "bn", 1.0),
    ]


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ("<speak>unclosed", "malformed SSML"),
        ("<p>no speak</p>", "root element, not <p>"),
        ("<speak><audio src='x'/></speak>", "unsupported SSML element <audio>"),
        ('<speak><break time="forever"/></speak>', "not a duration"),
        ('<speak><break time="60s"/></speak>', "too long; at most 10s"),
        ('<speak><break strength="huge"/></speak>', "strength='huge'> is unknown"),
        ('<speak><prosody rate="zoom">x</prosody></speak>', "is not a rate"),
        ("<speak><say-as>1</say-as></speak>", "needs an interpret-as"),
        ('<speak><say-as interpret-as="bogus">1</say-as></speak>', "unsupported say-as"),
        ("<speak><sub>x</sub></speak>", "needs an alias"),
    ],
)
def test_bad_ssml_names_the_problem(document, message):
    with pytest.raises(SSMLError) as error:
        parse_ssml(document, "en")
    assert message in str(error.value)


def test_plan_normalizes_merges_and_splits_into_sentences():
    request = build_request(
        '<speak>I have <say-as interpret-as="ordinal">3</say-as> cats. They eat 2 meals.'
        '<break time="500ms"/><prosody rate="fast">Fast 1.</prosody></speak>',
        speed=2.0,
        limits=Limits(),
    )
    steps = plan(request, "en", 250)
    assert [type(s).__name__ for s in steps] == ["Piece", "Pause", "Piece", "Pause", "Piece"]
    assert steps[0].text == "I have third cats."
    assert steps[2].text == "They eat two meals."
    assert steps[3] == Pause(0.5)
    assert steps[4].text == "Fast one." and steps[4].speed == 2.5


def test_normalize_false_keeps_the_text():
    request = build_request("I have 3 apples.", normalize_text=False, limits=Limits())
    assert plan(request, "en", 250)[0].text == "I have 3 apples."


def test_markup_with_nothing_to_say_is_refused():
    request = build_request('<speak><break time="1s"/></speak>', limits=Limits())
    with pytest.raises(SpeechRequestError, match="nothing to say"):
        plan(request, "en", 250)
