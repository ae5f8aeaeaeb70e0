"""Voice blending: `speaker` "alice(2)+bob" mixes voices by weight where the model allows it."""

import asyncio
import io
import json
import shutil

import httpx
import numpy as np
import pytest
import soundfile
import torch

from predictor.engines import (
    BlendTerm,
    Engine,
    VoiceCatalog,
    load_engine,
)
from predictor.request import RawInput, RequestError, parse_request
from predictor.scheduler import Scheduling, SynthesisScheduler, options_key
from tests.checkpoints import VITS_SPEAKERS, XTTS_SPEAKERS
from tests.clients import InferError, infer_grpc, infer_json
from voxraga.contract import Limits

ANA = XTTS_SPEAKERS[0]
CLONING = VoiceCatalog(
    speakers=("Ana", "Ben", "Cy (old)"),
    supports_cloning=True,
    supports_blending=True,
)
NOT_CLONING = VoiceCatalog(speakers=("alice", "bob"), supports_blending=True)
ONE_ID = VoiceCatalog(
    speakers=("alice", "bob"),
    blending_refused_because="a Piper voice is called with one speaker id",
)
ONE_VOICE = VoiceCatalog()


def recording(seconds: float, pitch: float, sample_rate: int = 22050) -> bytes:
    """A wav of a harmonic tone at `pitch` Hz with a little noise."""
    t = np.arange(int(seconds * sample_rate)) / sample_rate
    signal = sum(np.sin(2 * np.pi * k * pitch * t) / k for k in range(1, 6))
    noise = np.random.default_rng(int(pitch)).standard_normal(len(t))
    buffer = io.BytesIO()
    audio = (0.1 * signal + 0.01 * noise).astype(np.float32)
    soundfile.write(buffer, audio, sample_rate, format="WAV")
    return buffer.getvalue()


LOW, HIGH = recording(1.5, 110), recording(1.5, 260)


def options(speaker, voices=CLONING, recordings=()):
    inputs = {"text": RawInput("BYTES", ["hello"])}
    if recordings:
        inputs["speaker_wav"] = RawInput("BYTES", list(recordings))
    return parse_request(inputs, {"speaker": speaker}, voices, Limits()).options


# Parsing


@pytest.mark.parametrize("speaker", ["Ana", "Ana(2)", " Ana ( 0.5 ) ", "Ana+Ana(3)"])
def test_one_voice_however_weighted_is_that_speaker(speaker):
    assert options(speaker) == options("Ana")
    assert options("Ana").speaker == "Ana" and options("Ana").blend == ()


def test_weights_are_normalized_and_the_order_is_canonical():
    blend = options(" Ana ( 2.5 ) + Ben ").blend
    assert blend == (BlendTerm("Ana", 2.5 / 3.5), BlendTerm("Ben", 1 / 3.5))
    assert options("Ben+Ana(2.5)").blend == blend
    assert options("Ana(1)+Ben(2)+Ana(4)").blend == (
        BlendTerm("Ana", 5 / 7),
        BlendTerm("Ben", 2 / 7),
    )
    assert options("Ana+Ben").speaker is None


def test_recordings_are_named_by_index_and_blend_with_builtin_voices():
    blend = options("#0(1)+#1(3)", recordings=[LOW, HIGH]).blend
    assert blend == (BlendTerm(0, 0.25), BlendTerm(1, 0.75))
    mixed = options("#1+Ana(3)", recordings=[LOW, HIGH]).blend
    assert mixed == (BlendTerm("Ana", 0.75), BlendTerm(1, 0.25))
    assert options("#1", recordings=[LOW, HIGH]).blend == (BlendTerm(1, 1.0),)


def test_recordings_without_a_hash_term_make_one_voice_as_before():
    together = options_key(options(None, recordings=[LOW, HIGH]))
    assert options_key(options("Ana+Ben", recordings=[LOW, HIGH])) == together
    alone = options_key(options(None, recordings=[LOW]))
    assert options_key(options("#0", recordings=[LOW])) == alone


def test_a_name_with_parentheses_is_a_voice_alone_or_weighted():
    assert options("Cy (old)").speaker == "Cy (old)"
    blend = options("Cy (old)(3)+Ben").blend
    assert blend == (BlendTerm("Ben", 0.25), BlendTerm("Cy (old)", 0.75))


def test_eight_voices_blend():
    eight = "+".join(f"#{k}" for k in range(8))
    blend = options(eight, recordings=[LOW] * 8).blend
    assert [term.voice for term in blend] == list(range(8))


GRAMMAR = "terms joined by '+', each 'name' or 'name(weight)'"


@pytest.mark.parametrize(
    ("speaker", "voices", "recordings", "message"),
    [
        ("Ana+", CLONING, (), "'speaker' 'Ana+' is malformed at '': it must be"),
        ("Ana++Ben", CLONING, (), GRAMMAR),
        ("(2)", CLONING, (), GRAMMAR),
        ("Ana(2", CLONING, (), GRAMMAR),
        ("Ana(2)(3)", CLONING, (), GRAMMAR),
        ("Ana)", CLONING, (), GRAMMAR),
        (
            "Ana(0)",
            CLONING,
            (),
            "the weight of 'Ana' must be a decimal number above 0 and up to 100",
        ),
        ("Ana(101)+Ben", CLONING, (), "weight of 'Ana' must be a decimal number above 0"),
        ("Ana(-1)", CLONING, (), "got '-1'"),
        ("Ana(1e2)", CLONING, (), "got '1e2'"),
        ("Ana(nan)", CLONING, (), "got 'nan'"),
        ("Ana()", CLONING, (), "got ''"),
        ("+".join(["Ana"] * 9), CLONING, (), "blends 9 voices; at most 8 are allowed"),
        ("Ana+Dee", CLONING, (), "unknown speaker 'Dee'; available: Ana, Ben, Cy (old)"),
        ("#x", CLONING, (), "unknown speaker '#x'"),
        (
            "#2+Ana",
            CLONING,
            (LOW, HIGH),
            "names recording #2 of 'speaker_wav' (0-based), but 2 were sent: name #0 to #1",
        ),
        ("Ana+#0", CLONING, (), "but none was sent: send 'speaker_wav'"),
        (
            "alice+#0",
            NOT_CLONING,
            (),
            "does not clone voices, so 'speaker' cannot name a 'speaker_wav' recording ('#0')",
        ),
        (
            "alice(2)+bob",
            ONE_ID,
            (),
            "'speaker' 'alice(2)+bob' blends voices, but this model "
            "cannot blend voices: a Piper voice is called with one speaker id; name one voice",
        ),
        ("x+y", ONE_VOICE, (), "this model cannot blend voices: it has one voice"),
        ("x(2)", ONE_VOICE, (), "unknown speaker 'x': this model has no built-in speakers"),
    ],
)
def test_each_bad_blend_is_a_400_saying_what_is_allowed(speaker, voices, recordings, message):
    with pytest.raises(RequestError) as error:
        options(speaker, voices, recordings)
    assert message in str(error.value)


def test_a_one_voice_blend_is_fine_where_blending_is_not():
    assert options("alice(2)", ONE_ID).speaker == "alice"
    assert options("bob+bob", ONE_ID).speaker == "bob"


# Sharing and batching


def test_the_options_key_tells_blends_apart_and_equal_blends_alike():
    ab, ba, a3b = options("Ana+Ben"), options("Ben(2)+Ana(2)"), options("Ana(3)+Ben")
    assert options_key(ab) == options_key(ba)
    assert len({options_key(ab), options_key(a3b), options_key(options("Ana"))}) == 3


class RecordingEngine(Engine):
    """Says every text as silence of its length, and remembers each call's texts and blend."""

    family = "stub"
    sample_rate = 16000
    voices = CLONING
    batches = batch_by_default = True

    def __init__(self) -> None:
        self.calls = []

    def synthesize(self, text, options):
        return self.synthesize_batch([text], options)[0]

    def synthesize_batch(self, texts, options):
        self.calls.append((tuple(texts), options.blend))
        return [np.zeros(len(text), dtype=np.float32) for text in texts]


def test_requests_with_different_blends_never_share_a_batch():
    engine = RecordingEngine()
    scheduler = SynthesisScheduler(
        engine, "stub", "1", Scheduling(batching="on", batch_wait_s=0.2, parallel=1)
    )
    requests = [("one", "Ana+Ben"), ("two", "Ana(3)+Ben"), ("three", "Ben+Ana"), ("four", "Ana")]

    async def all_at_once():
        return await asyncio.gather(
            *(scheduler.synthesize((text,), options(speaker)) for text, speaker in requests)
        )

    audios = asyncio.run(all_at_once())
    assert [len(a[0].audio) for a in audios] == [3, 3, 5, 4]
    together = {texts: blend for texts, blend in engine.calls}
    assert together[("one", "three")] == options("Ana+Ben").blend
    assert set(together) == {("one", "three"), ("two",), ("four",)}


# XTTS


@pytest.fixture(scope="module")
def xtts(xtts_dir, tmp_path_factory):
    """The tiny XTTS with a second built-in voice whose latent is shorter than Ana's, as a
    voice of an XTTS without the perceiver resampler is when cloned from a shorter recording."""
    copy = tmp_path_factory.mktemp("blend") / "xtts"
    shutil.copytree(xtts_dir, copy)
    speakers = torch.load(copy / "speakers_xtts.pth", weights_only=True)
    ana = speakers[ANA]
    generator = torch.Generator().manual_seed(3)
    channels = ana["gpt_cond_latent"].shape[-1]
    embedding = torch.randn(ana["speaker_embedding"].shape, generator=generator)
    speakers["Ben"] = {
        "gpt_cond_latent": torch.randn(1, 40, channels, generator=generator),
        "speaker_embedding": embedding / embedding.norm(),
    }
    torch.save(speakers, copy / "speakers_xtts.pth")
    return load_engine(copy, "cpu", tmp_path_factory.mktemp("scratch"))


def test_an_xtts_blend_is_the_weighted_sum_of_the_voices_latents(xtts):
    ana, ben = xtts._voice(options(ANA, xtts.voices)), xtts._voice(options("Ben", xtts.voices))
    assert ana.gpt_cond_latent.shape[1] > ben.gpt_cond_latent.shape[1] == 40
    blend = xtts._voice(options(f"{ANA}(1)+Ben(3)", xtts.voices))
    frames = ana.gpt_cond_latent.shape[1]
    assert blend.gpt_cond_latent.shape == ana.gpt_cond_latent.shape
    # Ben's latent is stretched over Ana's frames: its ends stay where they were.
    ends = [0, -1]
    expected_ends = 0.25 * ana.gpt_cond_latent[:, ends] + 0.75 * ben.gpt_cond_latent[:, ends]
    torch.testing.assert_close(blend.gpt_cond_latent[:, ends], expected_ends)
    stretched = torch.nn.functional.interpolate(
        ben.gpt_cond_latent.transpose(1, 2), size=frames, mode="linear", align_corners=True
    ).transpose(1, 2)
    torch.testing.assert_close(blend.gpt_cond_latent, 0.25 * ana.gpt_cond_latent + 0.75 * stretched)
    torch.testing.assert_close(
        blend.speaker_embedding, 0.25 * ana.speaker_embedding + 0.75 * ben.speaker_embedding
    )


def test_an_xtts_blend_of_two_recordings_conditions_each_once(xtts, monkeypatch):
    conditioned = []
    original = xtts._conditioning
    monkeypatch.setattr(
        xtts, "_conditioning", lambda refs: conditioned.append(len(refs)) or original(refs)
    )
    low = xtts._voice(options(None, xtts.voices, [LOW]))
    high = xtts._voice(options(None, xtts.voices, [HIGH]))
    blend_options = options("#0(1)+#1(3)", xtts.voices, [LOW, HIGH])
    blend = xtts._voice(blend_options)
    assert conditioned == [1, 1], "each recording is conditioned once, then cached"
    assert low.gpt_cond_latent.shape == high.gpt_cond_latent.shape
    assert not torch.allclose(low.gpt_cond_latent, high.gpt_cond_latent)
    torch.testing.assert_close(
        blend.gpt_cond_latent, 0.25 * low.gpt_cond_latent + 0.75 * high.gpt_cond_latent
    )
    torch.testing.assert_close(
        blend.speaker_embedding, 0.25 * low.speaker_embedding + 0.75 * high.speaker_embedding
    )
    audio = xtts.synthesize("hello", blend_options)
    assert audio.dtype == np.float32 and np.abs(audio).max() > 0
    assert conditioned == [1, 1]


def test_an_xtts_blends_a_builtin_voice_with_a_recording(xtts):
    mixed = options(f"{ANA}(3)+#0", xtts.voices, [LOW])
    voice = xtts._voice(mixed)
    ana, low = xtts._builtin[ANA], xtts._voice(options(None, xtts.voices, [LOW]))
    torch.testing.assert_close(
        voice.speaker_embedding, 0.75 * ana.speaker_embedding + 0.25 * low.speaker_embedding
    )
    assert xtts.voices.supports_blending


# Coqui VITS


@pytest.fixture(scope="module")
def vits(vits_dir, tmp_path_factory):
    """The tiny two-speaker VITS with its noise at zero: a text makes the same samples each
    time."""
    copy = tmp_path_factory.mktemp("blend") / "vits"
    shutil.copytree(vits_dir, copy)
    config = json.loads((copy / "config.json").read_text())
    config["model_args"].update(inference_noise_scale=0.0, inference_noise_scale_dp=0.0)
    (copy / "config.json").write_text(json.dumps(config))
    return load_engine(copy, "cpu", tmp_path_factory.mktemp("scratch"))


def same(a, b):
    return len(a) == len(b) and np.allclose(a, b, atol=1e-4)


def test_a_vits_blend_is_the_weighted_sum_of_its_speaker_embeddings(vits):
    embedding, d_vector = vits._blended_speaker(options("alice(1)+bob(3)", vits.voices))
    table = vits._model.emb_g.weight
    assert d_vector is None
    torch.testing.assert_close(embedding, (0.25 * table[0] + 0.75 * table[1]).unsqueeze(0))


def test_a_vits_blend_says_something_between_its_speakers(vits):
    text = "hello there, how are you"
    alice, bob = (vits.synthesize(text, options(name, vits.voices)) for name in VITS_SPEAKERS)
    blend = vits.synthesize(text, options("alice+bob", vits.voices))
    assert not same(alice, bob)
    assert not same(blend, alice) and not same(blend, bob)
    nearly_alice = vits.synthesize(text, options("alice(100)+bob(0.001)", vits.voices))
    assert same(nearly_alice, alice)
    assert vits._model.emb_g.num_embeddings == 2, "the embedding table is back after the call"


def test_a_vits_blend_in_a_batch_is_what_it_is_alone(vits):
    blend = options("alice(2)+bob", vits.voices)
    texts = ["hello there", "a longer sentence than the first one."]
    alone = [vits.synthesize(text, blend) for text in texts]
    for one, batched in zip(alone, vits.synthesize_batch(texts, blend), strict=True):
        np.testing.assert_allclose(batched, one, atol=1e-5)


# Over the real predictor


def test_a_piper_blend_is_a_400_saying_why(piper_server):
    response = httpx.post(
        piper_server.infer_url,
        json={
            "inputs": [{"name": "text", "shape": [1], "datatype": "BYTES", "data": ["Hello."]}],
            "parameters": {"speaker": "joe(2)+ann"},
        },
        timeout=60,
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert "cannot blend voices: a Piper voice is called with one speaker id" in error
    voices = httpx.get(f"{piper_server.http_url}/v2/models/joe/voices").json()
    assert voices["voice_blending"] is False


def test_a_vits_predictor_blends_over_rest_and_grpc(vits_server):
    voices = httpx.get(f"{vits_server.http_url}/v2/models/tiny-vits/voices").json()
    assert voices["voice_blending"] is True
    speech = infer_json(vits_server, ["hello"], {"speaker": "alice(2)+bob"})
    assert speech.lengths[0] > 0 and np.abs(speech.audio).max() > 0
    grpc = infer_grpc(vits_server, [b"hello"], {"speaker": "alice + bob(0.5)"})
    assert grpc.lengths[0] > 0
    with pytest.raises(InferError) as error:
        infer_grpc(vits_server, [b"hello"], {"speaker": "alice+carol"})
    assert "unknown speaker 'carol'; available: alice, bob" in error.value.message
