"""Hostile text through the front end: any string ends in text or an SSMLError, quickly."""

import time
import unicodedata

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from transformer.text import normalize
from transformer.text.sentences import split_sentences
from transformer.text.ssml import Pause, SSMLError, SSMLLimits, Utterance, parse_ssml

LANGUAGES = ("en", "bn", "fr")
PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

any_character = st.characters(exclude_categories=())
"""Every code point, lone surrogates, controls, private use and unassigned ones included."""
xml_character = st.characters(
    exclude_categories=("Cs",), min_codepoint=0x20, exclude_characters="\ufffe\uffff"
)
"""Every code point XML 1.0 allows but \\t \\n \\r, C1 controls among them."""
number_pieces = st.sampled_from(
    [
        *"0123456789০১২৩৪৫৬৭৮৯٣१",
        *".,:/-–−+%^()e ",
        *"$£€₹৳",
        *"কখয়ড়ািীু্ংঃ\u09bc।",
        "st",
        "th",
        "টা",
        "তম",
        "শে",
        "লা",
        "Tk",
        "km",
        "pm",
        " million",
        " March ",
        " মার্চ ",
        " সালে",
        "Dr.",
        "ডা.",
        "\x00",
        "\ud800",
        "\x85",
        "\u200d",
        "\ue000",
        "\u0378",
    ]
)
"""Pieces the number rules look for, so that examples hit them more than random text would."""
number_heavy_text = st.lists(number_pieces, max_size=60).map("".join)


@PROPERTY
@given(st.text(any_character, max_size=300), st.sampled_from(LANGUAGES))
def test_any_text_normalizes_to_text(text, language):
    assert isinstance(normalize(text, language), str)


@PROPERTY
@given(number_heavy_text, st.sampled_from(LANGUAGES))
def test_text_full_of_numbers_normalizes_to_text_a_voice_can_read(text, language):
    said = normalize(text, language)
    assert isinstance(said, str)
    assert not any(unicodedata.category(ch) in ("Cc", "Cs") for ch in said)
    for sentence in split_sentences(said, language, 250):
        assert 0 < len(sentence) <= 250


def assert_list_or_ssml_error(document: str) -> None:
    try:
        items = parse_ssml(document, "en")
    except SSMLError:
        return
    assert all(isinstance(item, Utterance | Pause) for item in items)


@PROPERTY
@given(st.text(any_character, max_size=300))
def test_any_string_is_ssml_or_an_ssml_error(document):
    assert_list_or_ssml_error(document)


@PROPERTY
@given(st.text(any_character, max_size=200))
def test_any_string_inside_speak_is_ssml_or_an_ssml_error(body):
    assert_list_or_ssml_error(f"<speak>{body}</speak>")


def escaped(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")


HOSTILE_VALUES = ["", "0", "-1", "1e308", "nan", "inf", "99999999999999999999%", "9" * 400, "&"]
VALUES = {
    "rate": ["x-slow", "slow", "fast", "x-fast", "25%", "400%", "0.5", "4"],
    "time": ["0ms", "300ms", "1.5s", "10s", "11s"],
    "strength": ["none", "weak", "strong", "x-strong", "huge"],
    "interpret-as": ["cardinal", "ordinal", "digits", "telephone", "characters", "date", "bogus"],
    "xml:lang": ["en", "bn", "en-US", "bn_BD", "fr", "../x"],
}
"""Mostly values each attribute allows, so that most generated documents are read."""
OPTIONAL = {
    "speak": [],
    "p": [],
    "s": [],
    "lang": [],
    "prosody": ["rate"],
    "break": ["time", "strength"],
    "say-as": [],
    "sub": [],
    "audio": [],
}
REQUIRED = {"lang": ["xml:lang"], "say-as": ["interpret-as"], "sub": ["alias"]}


def value(name: str) -> st.SearchStrategy[str]:
    if name == "alias":
        return st.one_of(number_heavy_text, st.text(xml_character, max_size=20))
    return st.sampled_from(VALUES[name] * 8 + HOSTILE_VALUES)


def attributes(tag: str) -> st.SearchStrategy[dict[str, str]]:
    required = REQUIRED.get(tag, [])
    optional = OPTIONAL[tag] + ([] if "xml:lang" in required else ["xml:lang"])
    return st.fixed_dictionaries(
        {name: value(name) for name in required},
        optional={name: value(name) for name in optional},
    )


texts = st.one_of(
    number_heavy_text.filter(lambda text: "\x00" not in text and "\ud800" not in text).map(escaped),
    st.text(xml_character, max_size=20).map(escaped),
    st.sampled_from(["&#x85;", "&amp;", "<?pi x?>", "<!--c-->", " "]),
)
"""Text a document may hold: malformed documents are the business of the tests above."""


def element(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    def build(tag: str, attrs: dict[str, str], inner: list[str]) -> str:
        markup = "".join(f' {name}="{escaped(value)}"' for name, value in attrs.items())
        return f"<{tag}{markup}>{''.join(inner)}</{tag}>"

    tags = st.sampled_from([tag for tag in OPTIONAL for _ in range(1 if tag == "audio" else 4)])
    return tags.flatmap(
        lambda tag: st.builds(build, st.just(tag), attributes(tag), st.lists(children, max_size=4))
    )


ssml_like = st.builds(
    lambda inner, prefix: f"{prefix}<speak>{''.join(inner)}</speak>",
    st.lists(st.recursive(texts, element, max_leaves=20), max_size=4),
    st.sampled_from(["", "", "", '<?xml version="1.0"?>', "<!-- c -->", "<!DOCTYPE speak>"]),
)


@PROPERTY
@given(ssml_like)
def test_generated_ssml_is_read_or_refused_with_an_ssml_error(document):
    assert_list_or_ssml_error(document)


@PROPERTY
@given(ssml_like)
def test_what_ssml_yields_is_within_its_limits(document):
    limits = SSMLLimits(max_chars=50, max_pause_seconds=2.0, max_depth=4)
    try:
        items = parse_ssml(document, "bn", limits)
    except SSMLError:
        return
    assert sum(len(i.text) for i in items if isinstance(i, Utterance)) <= limits.max_chars
    assert sum(i.seconds for i in items if isinstance(i, Pause)) <= limits.max_pause_seconds
    assert all(0.25 <= i.rate <= 4 for i in items if isinstance(i, Utterance))


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("a\x00b", "a b"),
        ("a\x01\x07\x1b\x7fb", "a b"),
        ("a\x85\x9fb", "a b"),
        ("a\tb\r\nc", "a b c"),
        ("a\ud800b\udfffc", "a b c"),
        ("\ud83d", ""),
    ],
    ids=["nul", "c0", "c1", "whitespace", "lone-surrogates", "only-a-surrogate"],
)
@pytest.mark.parametrize("language", LANGUAGES)
def test_controls_and_lone_surrogates_become_spaces(text, said, language):
    assert normalize(text, language) == said


@pytest.mark.parametrize("language", LANGUAGES)
def test_private_use_and_unassigned_code_points_pass_through(language):
    assert normalize("a \ue000 \U0010fffd \u0378 b", language) == "a \ue000 \U0010fffd \u0378 b"


HOSTILE = {
    "digits": "1" * 10000,
    "bangla-digits": "৯" * 10000,
    "comma-separated": "1," * 5000,
    "dot-separated": "1." * 5000,
    "long-fraction": "1." + "5" * 9998,
    "dots": "." * 10000,
    "spaces": " " * 10000,
    "percent-less": "9" * 9999 + "x",
    "dashes": "1-" * 5000,
    "colons": "1:" * 5000,
    "slashes": "1/" * 5000,
    "phone-like": "01711" * 2000,
    "currency": "$1" * 5000,
    "ordinals": "১ম" * 5000,
    "nul": "\x00" * 10000,
    "surrogates": "\ud800" * 10000,
    "nukta-run": "ক" + "\u09bc" * 9999,
    "hasanta-run": "ক" + "\u09cd" * 9999,
    "combining-marks": "a" + "\u0301\u0316" * 4999,
    "bangla-words": "ক " * 5000,
}


@pytest.mark.parametrize("text", HOSTILE.values(), ids=HOSTILE.keys())
@pytest.mark.parametrize("language", LANGUAGES)
def test_ten_thousand_hostile_characters_normalize_well_under_a_second(text, language):
    started = time.perf_counter()
    said = normalize(text, language)
    split_sentences(said, language, 250)
    assert time.perf_counter() - started < 1
