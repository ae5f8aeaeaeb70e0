"""Basic SSML into utterances and pauses."""

import time

import pytest

from transformer.plan import plan
from transformer.request import Limits, SpeechRequestError, build_request
from transformer.text.bangla import DIGIT_WORDS
from transformer.text.ssml import (
    Pause,
    SSMLError,
    SSMLLimits,
    Utterance,
    looks_like_ssml,
    parse_ssml,
)


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
    assert items[0].text == "দ্বিতী\u09df"  # য় as one code point, as the normalizer writes it


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
    steps = plan(request, "en", Limits())
    assert [type(s).__name__ for s in steps] == ["Piece", "Pause", "Piece", "Pause", "Piece"]
    assert steps[0].text == "I have third cats."
    assert steps[2].text == "They eat two meals."
    assert steps[3] == Pause(0.5)
    assert steps[4].text == "Fast one." and steps[4].speed == 2.5


def test_normalize_false_keeps_the_text():
    request = build_request("I have 3 apples.", normalize_text=False, limits=Limits())
    assert plan(request, "en", Limits())[0].text == "I have 3 apples."


def test_markup_with_nothing_to_say_is_refused():
    request = build_request('<speak><break time="1s"/></speak>', limits=Limits())
    with pytest.raises(SpeechRequestError, match="nothing to say"):
        plan(request, "en", Limits())


BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE speak [<!ENTITY lol0 "lol">'
    + "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10))
    + "]><speak>&lol9;</speak>"
)


@pytest.mark.parametrize(
    "document",
    [
        "<!DOCTYPE speak><speak>Hi</speak>",
        '<!DOCTYPE speak [<!ENTITY name "Ada">]><speak>&name;</speak>',
        BILLION_LAUGHS,
        '<!DOCTYPE speak [<!ENTITY secret SYSTEM "file:///etc/passwd">]><speak>&secret;</speak>',
        '<!DOCTYPE speak SYSTEM "http://example.com/speak.dtd"><speak>Hi</speak>',
        '<!DOCTYPE speak [<!ENTITY % p "x">]><speak>Hi</speak>',
    ],
    ids=["doctype", "internal-entity", "billion-laughs", "external-entity", "external-dtd", "pe"],
)
def test_ssml_with_a_doctype_is_refused(document):
    with pytest.raises(SSMLError, match="may not contain a DOCTYPE or entity declarations"):
        parse_ssml(document, "en")


def test_billion_laughs_is_refused_before_any_expansion():
    started = time.perf_counter()
    with pytest.raises(SSMLError):
        parse_ssml(BILLION_LAUGHS, "en")
    assert time.perf_counter() - started < 0.5


def test_an_undeclared_entity_is_malformed_ssml():
    with pytest.raises(SSMLError, match="malformed SSML: undefined entity"):
        parse_ssml("<speak>&name;</speak>", "en")


def test_the_predefined_entities_still_read():
    assert parse_ssml("<speak>Tom &amp; Jerry &lt;3</speak>", "en") == [
        Utterance("Tom & Jerry <3", "en", 1.0)
    ]


def nested(depth: int, tag: str = "p") -> str:
    return "<speak>" + f"<{tag}>" * (depth - 1) + "deep" + f"</{tag}>" * (depth - 1) + "</speak>"


def test_nesting_five_thousand_deep_is_refused_without_recursion_error():
    with pytest.raises(SSMLError, match="nested 5000 levels deep; at most 32 are allowed"):
        parse_ssml(nested(5000), "en")


def test_nesting_up_to_the_limit_is_read_and_one_more_is_refused():
    items = parse_ssml(nested(32, "prosody"), "en")
    assert items == [Utterance("deep", "en", 1.0)]
    with pytest.raises(SSMLError, match="nested 33 levels deep"):
        parse_ssml(nested(33, "prosody"), "en")


def test_reading_does_not_recurse_even_when_the_limits_allow_deep_nesting():
    items = parse_ssml(nested(5000, "lang"), "en", SSMLLimits(max_depth=10_000))
    assert items == [Utterance("deep", "en", 1.0)]


def test_pauses_over_the_limit_are_refused():
    with pytest.raises(SSMLError, match=r"70s of pauses.*at most 60s.*--max_pause_seconds"):
        parse_ssml("<speak>" + '<break time="10s"/>' * 7 + "</speak>", "en")


def test_sentence_and_paragraph_pauses_count_towards_the_pause_limit():
    document = "<speak>" + "<s>Hi.</s>" * 241 + "</speak>"
    with pytest.raises(SSMLError, match="--max_pause_seconds"):
        parse_ssml(document, "en")
    assert parse_ssml(document, "en", SSMLLimits(max_pause_seconds=61))[-1] == Pause(0.25)


def test_speakable_characters_over_the_limit_are_refused():
    document = "<speak>" + f"<s>{'a' * 100}</s>" * 101 + "</speak>"
    with pytest.raises(SSMLError, match=r"10100 characters to speak.*10000.*--max_input_chars"):
        parse_ssml(document, "en")


def test_markup_does_not_count_towards_the_character_limit():
    document = "<speak>" + '<break strength="none"/>' * 1000 + "Hello</speak>"
    assert len(document) > 10000
    assert parse_ssml(document, "en")[-1] == Utterance("Hello", "en", 1.0)


def test_what_say_as_and_sub_expand_to_counts_towards_the_character_limit():
    with pytest.raises(SSMLError, match="--max_input_chars"):
        parse_ssml(
            f'<speak><sub alias="{"x" * 20}">x</sub></speak>', "en", SSMLLimits(max_chars=10)
        )
    with pytest.raises(SSMLError, match="--max_input_chars"):
        parse_ssml(
            '<speak><say-as interpret-as="characters">abcdef</say-as></speak>',
            "en",
            SSMLLimits(max_chars=10),
        )


@pytest.mark.parametrize(
    ("rate", "problem"),
    [
        ("1e308", "is not a rate"),
        ("nan", "is not a rate"),
        ("inf", "is not a rate"),
        ("-1", "is not a rate"),
        ("+10%", "is not a rate"),
        ("0", "is out of range"),
        ("0.1", "is out of range"),
        ("401%", "is out of range"),
        ("99999999999999999999%", "is out of range"),
        ("9" * 400, "is out of range"),
    ],
)
def test_a_hostile_prosody_rate_is_refused_naming_what_is_allowed(rate, problem):
    with pytest.raises(SSMLError) as error:
        parse_ssml(f'<speak><prosody rate="{rate}">x</prosody></speak>', "en")
    assert problem in str(error.value)
    assert "from 25% to 400% or a multiplier from 0.25 to 4" in str(error.value)


@pytest.mark.parametrize(("rate", "multiplier"), [("25%", 0.25), ("400%", 4.0), ("4", 4.0)])
def test_prosody_rates_at_the_edges_of_the_range_are_read(rate, multiplier):
    items = parse_ssml(f'<speak><prosody rate="{rate}">x</prosody></speak>', "en")
    assert items == [Utterance("x", "en", multiplier)]


def test_nested_prosody_rates_stay_within_the_range():
    fast = parse_ssml(
        "<speak>" + '<prosody rate="4">' * 3 + "x" + "</prosody>" * 3 + "</speak>", "en"
    )
    slow = parse_ssml(
        "<speak>" + '<prosody rate="25%">' * 3 + "x" + "</prosody>" * 3 + "</speak>", "en"
    )
    assert (fast[0].rate, slow[0].rate) == (4.0, 0.25)


def test_a_huge_break_time_is_refused():
    with pytest.raises(SSMLError, match="too long; at most 10s"):
        parse_ssml(f'<speak><break time="{"9" * 400}ms"/></speak>', "en")


def test_comments_and_processing_instructions_are_skipped():
    document = '<?xml version="1.0"?><!-- a --><speak>One <!-- two -->three<?tool x?></speak><?z?>'
    assert parse_ssml(document, "en") == [Utterance("One three", "en", 1.0)]


@pytest.mark.parametrize(
    "document", ["<speak>a\ud800b</speak>", "<speak>a\x00b</speak>", "<speak>a&#0;</speak>"]
)
def test_characters_xml_cannot_carry_are_refused(document):
    with pytest.raises(SSMLError):
        parse_ssml(document, "en")


def test_control_characters_in_an_alias_are_not_said():
    items = parse_ssml('<speak><sub alias="World\x85Wide\x9fWeb">WWW</sub></speak>', "en")
    assert items == [Utterance("World Wide Web", "en", 1.0, normalized=True)]


@pytest.mark.parametrize("language", ["../../etc", "e", "en-" + "x" * 20, "x" * 100])
def test_a_language_that_is_not_a_language_tag_is_refused(language):
    with pytest.raises(SSMLError, match="is not a language tag"):
        parse_ssml(f'<speak><lang xml:lang="{language}">x</lang></speak>', "en")


def test_a_three_hundred_digit_ordinal_is_read_digit_by_digit():
    items = parse_ssml(f'<speak><say-as interpret-as="ordinal">{"9" * 300}</say-as></speak>', "en")
    assert items == [Utterance(" ".join(["nine"] * 300), "en", 1.0)]
    items = parse_ssml(f'<speak><say-as interpret-as="ordinal">{"৯" * 300}</say-as></speak>', "bn")
    assert items[0].text.split() == [DIGIT_WORDS[9]] * 300


@pytest.mark.parametrize(
    "text", ['<?xml version="1.0"?><speak>Hi.</speak>', "<!DOCTYPE speak><speak>Hi.</speak>"]
)
def test_a_document_with_a_prolog_is_taken_for_ssml(text):
    assert looks_like_ssml(text)
