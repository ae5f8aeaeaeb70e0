"""Validating requests against the contract, without a server."""

import pytest

from predictor.engines import NumericOption, VoiceCatalog
from predictor.request import RawInput, RequestError, parse_request
from tests.audio_fixtures import voice_like_recording
from voxraga.contract import Limits

XTTS_LIKE = VoiceCatalog(
    speakers=("Ana", "Ben"),
    languages=("en", "bn", "zh-cn"),
    default_speaker="Ana",
    default_language="en",
    supports_cloning=True,
    options={"temperature": NumericOption(0.01, 5.0), "top_k": NumericOption(1, 100, integer=True)},
)
SINGLE_VOICE = VoiceCatalog()
LIMITS = Limits(max_text_chars=20, max_batch_size=2, max_references=1, max_reference_seconds=3)


def parse(texts=("hello",), parameters=None, voices=XTTS_LIKE, references=None):
    inputs = {"text": RawInput("BYTES", list(texts))}
    if references is not None:
        inputs["speaker_wav"] = RawInput("BYTES", references)
    return parse_request(inputs, parameters or {}, voices, LIMITS)


def test_a_minimal_request_uses_the_defaults():
    request = parse([b"hello"])
    assert request.texts == ("hello",)
    assert request.options.speaker is None
    assert request.options.language is None
    assert request.options.speed == 1.0
    assert request.options.references == ()
    assert dict(request.options.sampling) == {}


def test_json_strings_and_binary_bytes_are_both_texts():
    assert parse(["জল", b"water"]).texts == ("জল", "water")


@pytest.mark.parametrize(
    ("asked", "served"),
    [
        ("en", "en"),
        ("EN", "en"),
        ("en-US", "en"),
        ("en_us", "en"),
        ("bn-BD", "bn"),
        ("zh", "zh-cn"),
        ("zh-CN", "zh-cn"),
    ],
)
def test_language_codes_match_by_region_and_case(asked, served):
    assert parse(parameters={"language": asked}).options.language == served


def test_language_is_ignored_by_a_model_that_is_not_language_specific():
    assert parse(parameters={"language": "bn"}, voices=SINGLE_VOICE).options.language is None


@pytest.mark.parametrize("speed", ["0.25", 4, "4.0", 1.5, "1"])
def test_speed_accepts_numbers_and_numeric_strings_in_range(speed):
    assert parse(parameters={"speed": speed}).options.speed == float(speed)


def test_sampling_options_are_parsed_only_for_the_models_options():
    request = parse(parameters={"temperature": "0.7", "top_k": 5, "noise_scale": 0.3})
    assert dict(request.options.sampling) == {"temperature": 0.7, "top_k": 5.0}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"texts": []}, "'text' is empty"),
        ({"texts": ["a", "b", "c"]}, "'text' has 3 items; at most 2"),
        ({"texts": ["x" * 21]}, "text[0] has 21 characters; at most 20"),
        ({"texts": [b"\xc3"]}, "text[0] is not valid UTF-8 (byte 0xc3 at offset 0)"),
        ({"texts": ["\t"]}, "text[0] is empty or only whitespace"),
        ({"parameters": {"speaker": "Cy"}}, "unknown speaker 'Cy'; available: Ana, Ben"),
        ({"parameters": {"speaker": "Cy"}, "voices": SINGLE_VOICE}, "has no built-in speakers"),
        ({"parameters": {"language": "fr"}}, "unknown language 'fr'; available: en, bn, zh-cn"),
        ({"parameters": {"language": ""}}, "must be a language code"),
        ({"parameters": {"speed": 0.2}}, "'speed' must be from 0.25 to 4, got 0.2"),
        ({"parameters": {"speed": "inf"}}, "'speed' must be from 0.25 to 4"),
        ({"parameters": {"speed": [1]}}, "'speed' must be a number"),
        ({"parameters": {"top_k": 0}}, "'top_k' must be from 1 to 100"),
        ({"parameters": {"top_k": "7.5"}}, "'top_k' must be a whole number"),
        ({"references": []}, "'speaker_wav' is empty"),
        ({"references": [b"a", b"b"]}, "'speaker_wav' has 2 recordings; at most 1"),
        ({"references": [b"abc"], "voices": SINGLE_VOICE}, "does not clone voices"),
    ],
)
def test_each_bad_field_is_named_with_what_is_allowed(kwargs, message):
    with pytest.raises(RequestError) as error:
        parse(**kwargs)
    assert message in str(error.value)


def test_unknown_inputs_are_refused():
    inputs = {"text": RawInput("BYTES", ["hi"]), "txt": RawInput("BYTES", ["hi"])}
    with pytest.raises(RequestError, match="unknown input 'txt'"):
        parse_request(inputs, {}, XTTS_LIKE, LIMITS)


def test_references_decode_to_mono_with_a_content_digest():
    recording = voice_like_recording(1.5, sample_rate=22050)
    (reference,) = parse(references=[recording]).options.references
    assert reference.sample_rate == 22050
    assert reference.samples.ndim == 1 and len(reference.samples) == int(1.5 * 22050)
    again = parse(references=[recording]).options.references[0]
    assert again.digest == reference.digest
    other = parse(references=[voice_like_recording(1.6)]).options.references[0]
    assert other.digest != reference.digest


def test_a_reference_over_the_size_limit_is_refused():
    limits = Limits(max_reference_bytes=1000)
    inputs = {"text": RawInput("BYTES", ["hi"]), "speaker_wav": RawInput("BYTES", [b"x" * 1001])}
    with pytest.raises(RequestError, match="is 1001 bytes; at most 1000"):
        parse_request(inputs, {}, XTTS_LIKE, limits)
