"""Word times from the model's own durations: the alignment of said words with the text's, the
engines (tiny VITS, the bundled Piper voice), the scheduler and the request, and the output's
format."""

import asyncio
import itertools
import json
import struct

import numpy as np
import pytest
import torch

from predictor.engines import SynthesisOptions, TimedAudio, load_engine
from predictor.engines.coqui import MAX_CHUNK_CHARS
from predictor.engines.word_times import TimedSymbol, align, said_words, word_times
from predictor.request import RawInput, RequestError, parse_request
from predictor.scheduler import Scheduling, SynthesisScheduler
from tests.test_engines import noiseless_vits
from voxraga import word_times as word_times_format
from voxraga.chunking import split_to_fit
from voxraga.contract import Limits

QUIET = {"noise_scale": 0.0, "noise_w_scale": 0.0}
"""Piper without noise: a text makes the same samples each time."""


def flat(times) -> list[float]:
    """Word times as one list of numbers, for pytest.approx."""
    return [t for pair in times for t in pair]


def symbols(*words: str, seconds: float = 0.1, start: float = 0.0) -> list[TimedSymbol]:
    """Each character of the words said for `seconds` from `start`, the words one space
    apart."""
    said, at = [], start
    for text in " ".join(words):
        said.append(TimedSymbol(text, at, at + seconds))
        at += seconds
    return said


# The alignment of the words a model said with the text's


def test_a_word_said_as_written_spans_its_letters_without_the_pause_of_its_punctuation():
    said = [
        TimedSymbol(None, 0.0, 0.5),
        *symbols("hi,", "you", start=0.5),
        TimedSymbol(None, 1.2, 1.4),
    ]
    assert flat(word_times("hi, you", said)) == pytest.approx([0.5, 0.7, 0.9, 1.2])


def test_words_said_as_one_share_its_time_by_their_lengths():
    """espeak says "in the" as one word, "ɪnðə"."""
    times = word_times("in the morning", symbols("ɪnðə", "mˈɔːɹnɪŋ"))
    assert flat(times) == pytest.approx([0.0, 0.16, 0.16, 0.4, 0.5, 1.3])


def test_a_word_said_as_several_spans_them():
    times = word_times("paid 1990 dollars", symbols("pˈeɪd", "nˈaɪntiːn", "nˈaɪnti", "dˈɑːlɚz"))
    assert flat(times) == pytest.approx([0.0, 0.5, 0.6, 2.3, 2.4, 3.1])


def test_a_word_not_said_gets_no_time_where_the_word_before_it_ends():
    times = word_times("four — five", symbols("fˈɔːɹ", "fˈaɪv"))
    assert flat(times) == pytest.approx([0.0, 0.5, 0.5, 0.5, 0.6, 1.1])
    times = word_times("— five", symbols("fˈaɪv"))
    assert flat(times) == pytest.approx([0.0, 0.0, 0.0, 0.5])


def test_how_words_begin_tells_a_join_from_a_shifted_pairing():
    """Lengths alone would pair "four" with "faɪv" and join "(six)" with "seven"."""
    words = ["one", "two", "three...", "four", "—", "five", "(six)", '"seven"']
    said = ["wˈʌn", "tˈuː", "θɹˈiːfˈɔːɹ", "fˈaɪv", "sˈɪks", "sˈɛvən"]
    assert align(words, said) == [
        (0, 1, 0, 1),
        (1, 2, 1, 2),
        (2, 4, 2, 3),
        (4, 5, 3, 3),
        (5, 6, 3, 4),
        (6, 7, 4, 5),
        (7, 8, 5, 6),
    ]


def test_said_words_break_at_whitespace_and_skip_blanks_and_punctuation():
    said = said_words(
        [
            TimedSymbol(None, 0.0, 1.0),
            TimedSymbol("a", 1.0, 2.0),
            TimedSymbol(None, 2.0, 3.0),
            TimedSymbol("b", 3.0, 4.0),
            TimedSymbol(".", 4.0, 5.0),
            TimedSymbol(" ", 5.0, 6.0),
            TimedSymbol("!", 6.0, 7.0),
            TimedSymbol(" ", 7.0, 7.0),
            TimedSymbol("ˈ", 7.0, 8.0),
            TimedSymbol("ɪ", 8.0, 9.0),
        ]
    )
    assert [(w.text, w.start, w.end) for w in said] == [("ab", 1.0, 4.0), ("ˈɪ", 7.0, 9.0)]


def test_a_long_text_aligns_quickly_and_in_order():
    words = [f"word{i % 7}" if i % 5 else "in the" for i in range(1200)]
    text = " ".join(words)
    said = [w.replace("in the", "ɪnðə") for w in words]
    times = word_times(text, symbols(*said, seconds=0.01))
    assert len(times) == len(text.split())
    assert all(a[1] <= b[0] for a, b in itertools.pairwise(times))
    assert times[-1][1] == pytest.approx(len(" ".join(said)) * 0.01)


# Coqui VITS


@pytest.fixture(scope="module")
def vits(vits_dir, tmp_path_factory):
    """The tiny VITS without noise, its durations varying from symbol to symbol."""
    scratch = tmp_path_factory.mktemp("word-times")
    engine = load_engine(noiseless_vits(vits_dir, scratch), "cpu", scratch / "scratch")
    torch.manual_seed(0)
    with torch.no_grad():
        engine._model.duration_predictor.proj.weight.normal_(0.0, 0.6)
    return engine


def expected_times(text: str, durations: np.ndarray, seconds_a_frame: float) -> list:
    """Each word of a lower-case text of a character VITS with blanks between its symbols
    (symbol 2c + 1 is character c): from its first letter's symbol to its last's."""
    ends = np.cumsum(durations) * seconds_a_frame
    times, offset = [], 0
    for word in text.split(" "):
        letters = [offset + i for i, c in enumerate(word) if c.isalnum()]
        first, last = 2 * letters[0] + 1, 2 * letters[-1] + 1
        times.append((ends[first] - durations[first] * seconds_a_frame, ends[last]))
        offset += len(word) + 1
    return times


@pytest.mark.parametrize("speed", [1.0, 1.7])
def test_vits_word_times_are_the_frames_it_gave_each_words_letters(vits, monkeypatch, speed):
    model = vits._model
    durations = []
    inference = model.inference

    def recorded(*args, **kwargs):
        outputs = inference(*args, **kwargs)
        durations.append(outputs["durations"][:, 0, :].numpy().astype(np.float64))
        return outputs

    monkeypatch.setattr(model, "inference", recorded)
    texts = ["well, a wonderful day.", "hello there"]
    options = SynthesisOptions(speaker="bob", speed=speed)
    said = vits.synthesize_batch_timed(texts, options)
    (batch,) = durations
    assert len(set(batch[0][:40].tolist())) >= 3, "durations vary from symbol to symbol"
    seconds_a_frame = 256 / vits.sample_rate
    for row, (text, item) in enumerate(zip(texts, said, strict=True)):
        expected = expected_times(text, batch[row], seconds_a_frame)
        assert flat(item.word_times) == pytest.approx(flat(expected), abs=1e-9)
        # Asking for the times changes nothing in the audio.
        np.testing.assert_allclose(item.audio, vits.synthesize(text, options), atol=1e-5)


def test_vits_word_times_are_one_per_word_in_order_within_the_audio(vits_dir, tmp_path):
    engine = load_engine(vits_dir, "cpu", tmp_path)
    assert engine.word_durations
    text = "a wonderful day in the park, with friends."
    (item,) = engine.synthesize_batch_timed([text], SynthesisOptions())
    times = item.word_times
    assert len(times) == len(text.split())
    assert all(start < end for start, end in times)
    assert all(a[1] <= b[0] for a, b in itertools.pairwise(times))
    assert times[0][0] > 0 and times[-1][1] <= len(item.audio) / engine.sample_rate
    lengths = {word: end - start for word, (start, end) in zip(text.split(), times, strict=True)}
    assert lengths["wonderful"] > 3 * lengths["a"]


def test_vits_times_a_text_longer_than_one_call_on_the_whole(vits):
    text = " ".join(["this is a sentence of some length."] * 18)
    first_piece, _ = split_to_fit(text, MAX_CHUNK_CHARS)
    (whole,) = vits.synthesize_batch_timed([text], SynthesisOptions())
    times = whole.word_times
    assert len(times) == len(text.split())
    assert all(a[1] <= b[0] for a, b in itertools.pairwise(times))
    np.testing.assert_allclose(whole.audio, vits.synthesize(text, SynthesisOptions()), atol=1e-5)
    # The second piece's words are where its audio is: after the first piece's.
    (first,) = vits.synthesize_batch_timed([first_piece], SynthesisOptions())
    assert times[: len(first_piece.split())] == first.word_times
    assert times[len(first_piece.split())][0] > len(first.audio) / vits.sample_rate


def test_a_vits_on_onnx_has_no_word_times(vits_dir, tmp_path):
    engine = load_engine(vits_dir, "cpu", tmp_path, "onnx")
    assert not engine.word_durations
    (item,) = engine.synthesize_batch_timed(["hello there"], SynthesisOptions())
    assert item.word_times is None and len(item.audio)


# Piper


@pytest.fixture(scope="module")
def piper(piper_dir, tmp_path_factory):
    return load_engine(piper_dir, "cpu", tmp_path_factory.mktemp("scratch"))


def test_piper_word_times_come_from_its_phoneme_durations(piper):
    assert piper.word_durations
    text = "I went to the store in the morning. Then I came home."
    options = SynthesisOptions(sampling=QUIET)
    (item,) = piper.synthesize_batch_timed([text], options)
    np.testing.assert_array_equal(item.audio, piper.synthesize(text, options))
    times = item.word_times
    assert len(times) == len(text.split())
    assert all(start <= end for start, end in times)
    assert all(a[1] <= b[0] + 1e-9 for a, b in itertools.pairwise(times))
    assert times[-1][1] <= len(item.audio) / piper.sample_rate
    words = dict(zip(text.split(), times, strict=False))
    # espeak said "in the" as one word: its time is shared, the longer word the longer part.
    assert words["in"][1] == words["the"][0] and "ɪnðə" in "".join(piper._voice.phonemize(text)[0])
    assert words["morning."][1] - words["morning."][0] > 2 * (words["in"][1] - words["in"][0])
    # The pause between the sentences is between their words, and quiet.
    rate = piper.sample_rate
    pause = item.audio[int(words["morning."][1] * rate) : int(words["Then"][0] * rate)]
    assert len(pause) > 0.1 * rate and np.abs(pause).max() < 0.5 * np.abs(item.audio).max()


# The scheduler and the request


class _TimingEngine:
    """Says each text as its length in samples; times each word as one second."""

    family = "stub"
    sample_rate = 16000
    batches = batch_by_default = True
    thread_safe = word_durations = False
    voices = None

    def __init__(self) -> None:
        self.calls = []

    def synthesize_batch(self, texts, options):
        self.calls.append(("plain", tuple(texts)))
        return [np.zeros(len(text), dtype=np.float32) for text in texts]

    def synthesize_batch_timed(self, texts, options):
        self.calls.append(("timed", tuple(texts)))
        return [
            TimedAudio(np.zeros(len(text), dtype=np.float32), ((0.0, 1.0),) * len(text.split()))
            for text in texts
        ]


def test_requests_with_and_without_word_times_share_a_batch_but_not_a_synthesis():
    engine = _TimingEngine()
    scheduler = SynthesisScheduler(
        engine, "stub", "1", Scheduling(batching="on", batch_wait_s=0.2, parallel=1)
    )

    async def together():
        return await asyncio.gather(
            scheduler.synthesize(("one two",), SynthesisOptions(), word_times=True),
            scheduler.synthesize(("one two",), SynthesisOptions()),
            scheduler.synthesize(("three",), SynthesisOptions()),
        )

    timed, plain, other = asyncio.run(together())
    assert engine.calls == [("timed", ("one two", "one two", "three"))]
    assert timed[0].word_times == ((0.0, 1.0), (0.0, 1.0))
    assert len(plain[0].audio) == 7 and len(other[0].audio) == 5

    async def alone():
        return await scheduler.synthesize(("four",), SynthesisOptions())

    assert asyncio.run(alone())[0].word_times is None
    assert engine.calls[-1] == ("plain", ("four",))


@pytest.mark.parametrize(
    ("value", "wanted"),
    [(True, True), (False, False), ("true", True), ("False", False), ("1", True), ("0", False)],
)
def test_word_times_is_a_boolean_or_its_string(vits, value, wanted):
    inputs = {"text": RawInput("BYTES", [b"hi"])}
    request = parse_request(inputs, {"word_times": value}, vits.voices, Limits())
    assert request.word_times is wanted
    assert not parse_request(inputs, {}, vits.voices, Limits()).word_times


@pytest.mark.parametrize("value", ["yes", 1, None, ["true"]])
def test_word_times_of_another_kind_is_refused_saying_what_is_allowed(vits, value):
    inputs = {"text": RawInput("BYTES", [b"hi"])}
    with pytest.raises(RequestError, match=r"'word_times' must be true or false, got "):
        parse_request(inputs, {"word_times": value}, vits.voices, Limits())


# The output's format, as the predictor writes it and the client reads it


def bytes_tensor(*elements: bytes) -> bytes:
    return b"".join(struct.pack("<I", len(e)) + e for e in elements)


def test_the_output_is_one_json_array_of_pairs_per_text():
    written = word_times_format.encode(((0.1, 0.4), (np.float64(0.5), 0.912345678)))
    assert written == b"[[0.1,0.4],[0.5,0.91235]]"
    raw = bytes_tensor(written, json.dumps([[0, 1.25]]).encode())
    elements = word_times_format.bytes_elements(raw)
    assert word_times_format.decode(elements, ["hello world", "hi"]) == [
        [(0.1, 0.4), (0.5, 0.91235)],
        [(0.0, 1.25)],
    ]


@pytest.mark.parametrize(
    ("elements", "message"),
    [
        ([b"[[0.1,0.4]]"], "item 0 has 1 word times for 2 words"),
        ([b"[[0.1,0.4],[0.5]]"], "item 0 are not"),
        ([b"[[0.1,0.4],[0.5,0.9]"], "item 0 are not"),
        ([b'{"a": 1}'], "item 0 are not"),
        ([b"[[0.1,0.4],[0.5,0.9]]", b"[]"], "2 items of word times for 1 texts"),
    ],
)
def test_word_times_that_do_not_time_each_word_are_refused(elements, message):
    """The client then answers None, and the caller estimates them."""
    with pytest.raises(ValueError, match=message):
        word_times_format.decode(elements, ["hello world"])


def test_a_bytes_tensor_is_read_element_by_element():
    assert word_times_format.bytes_elements(bytes_tensor(b"", b"ab", b"c")) == [b"", b"ab", b"c"]
    with pytest.raises(ValueError, match="ends inside an element"):
        word_times_format.bytes_elements(bytes_tensor(b"abc")[:-1])
