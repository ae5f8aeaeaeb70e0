"""Engines loaded in process from tiny real checkpoints: what only the engine can show."""

import json
import os
import shutil
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import torch

from predictor.engines import ModelLoadError, SynthesisOptions, detect_family, load_engine
from predictor.engines.coqui import find_checkpoint, relocate_config
from predictor.request import RawInput, parse_request
from tests.audio_fixtures import voice_like_recording
from tests.checkpoints import TRAINING_DIR, XTTS_MAX_AUDIO_TOKENS
from voxraga.contract import Limits


@pytest.fixture(scope="module")
def xtts_engine(xtts_dir, tmp_path_factory):
    return load_engine(xtts_dir, "cpu", tmp_path_factory.mktemp("scratch"))


def references(engine, *recordings):
    inputs = {"text": RawInput("BYTES", ["hi"]), "speaker_wav": RawInput("BYTES", list(recordings))}
    return parse_request(inputs, {}, engine.voices, Limits()).options.references


def test_a_repeated_reference_is_conditioned_once(xtts_engine, monkeypatch):
    computed = []
    original = xtts_engine._conditioning
    monkeypatch.setattr(
        xtts_engine, "_conditioning", lambda options: computed.append(1) or original(options)
    )
    first = references(xtts_engine, voice_like_recording(1.5))
    second = references(xtts_engine, voice_like_recording(1.7))
    for refs in (first, first, second, first):
        audio = xtts_engine.synthesize("hello", SynthesisOptions(references=refs))
        assert audio.dtype == np.float32 and len(audio) > 0
    assert len(computed) == 2


def test_bangla_is_tokenized_with_the_bn_language_token(xtts_engine):
    tokenizer = xtts_engine._tokenizer
    ids = tokenizer.encode("আমি বাংলা বলি", lang="bn")
    vocab = tokenizer.tokenizer.get_vocab()
    assert ids[0] == vocab["[bn]"]
    assert vocab["[UNK]"] not in ids
    assert tokenizer.char_limit("bn") == 150
    assert tokenizer.char_limit("en") == 250


def test_xtts_output_length_follows_its_audio_tokens(xtts_engine):
    audio = xtts_engine.synthesize("hello", SynthesisOptions())
    samples_per_code = 1024 * xtts_engine.sample_rate / 22050
    assert len(audio) <= XTTS_MAX_AUDIO_TOKENS * samples_per_code + 1024


def test_a_legacy_xtts_checkpoint_loads_without_being_rewritten(xtts_dir, tmp_path):
    """The original XTTS-v2 release pickles an XttsConfig in model.pth; coqui-tts converts it
    in place, which a read-only model volume refuses. The engine converts in memory."""
    from TTS.tts.configs.xtts_config import XttsConfig

    legacy = tmp_path / "legacy"
    shutil.copytree(xtts_dir, legacy)
    config = XttsConfig()
    config.load_json(str(legacy / "config.json"))
    state = torch.load(legacy / "model.pth", map_location="cpu", weights_only=True)["model"]
    torch.save({"model": state, "config": config}, legacy / "model.pth")
    before = (legacy / "model.pth").stat()
    os.chmod(legacy / "model.pth", 0o444)
    engine = load_engine(legacy, "cpu", tmp_path / "scratch")
    after = (legacy / "model.pth").stat()
    assert (after.st_mtime_ns, after.st_size) == (before.st_mtime_ns, before.st_size)
    assert len(engine.synthesize("hello", SynthesisOptions())) > 0


def test_training_machine_paths_are_relocated_into_the_model_dir(vits_dir):
    config = json.loads((vits_dir / "config.json").read_text())
    assert config["model_args"]["speakers_file"] == f"{TRAINING_DIR}/speakers.json"
    assert relocate_config(config, vits_dir)
    assert config["model_args"]["speakers_file"] == str(vits_dir / "speakers.json")
    assert not relocate_config(config, vits_dir)


def test_checkpoint_preference(tmp_path):
    assert find_checkpoint(tmp_path) is None
    for name in ("checkpoint_900.pth", "checkpoint_10000.pth", "speakers.pth"):
        (tmp_path / name).write_bytes(b"")
    assert find_checkpoint(tmp_path).name == "checkpoint_10000.pth"
    (tmp_path / "best_model.pth").write_bytes(b"")
    assert find_checkpoint(tmp_path).name == "best_model.pth"
    (tmp_path / "model.pth").write_bytes(b"")
    assert find_checkpoint(tmp_path).name == "model.pth"


def test_family_detection(vits_dir, xtts_dir, piper_dir, tmp_path):
    assert detect_family(vits_dir) == "coqui"
    assert detect_family(xtts_dir) == "xtts"
    assert detect_family(piper_dir) == "piper"
    (tmp_path / "config.json").write_text("[1, 2]")
    with pytest.raises(ModelLoadError, match="expected a JSON object"):
        detect_family(tmp_path)


def test_two_piper_voices_in_one_directory_are_refused(piper_dir, tmp_path):
    for stem in ("a", "b"):
        (tmp_path / f"{stem}.onnx").symlink_to(next(piper_dir.glob("*.onnx")))
        (tmp_path / f"{stem}.onnx.json").symlink_to(next(piper_dir.glob("*.onnx.json")))
    with pytest.raises(ModelLoadError, match=r"several Piper voices \(a.onnx, b.onnx\)"):
        load_engine(tmp_path, "cpu", tmp_path / "scratch")


def noiseless_vits(vits_dir, tmp_path):
    """A copy of the tiny VITS with its noise at zero: a text makes the same samples each time."""
    noiseless = tmp_path / "noiseless-vits"
    shutil.copytree(vits_dir, noiseless)
    config = json.loads((noiseless / "config.json").read_text())
    config["model_args"].update(inference_noise_scale=0.0, inference_noise_scale_dp=0.0)
    (noiseless / "config.json").write_text(json.dumps(config))
    return noiseless


def test_a_vits_batch_says_each_item_as_it_says_it_alone(vits_dir, tmp_path):
    noiseless = noiseless_vits(vits_dir, tmp_path)
    engine = load_engine(noiseless, "cpu", tmp_path / "scratch")
    assert engine.batches
    texts = ["hello there", "a much longer sentence than the first, with a clause.", "short"]
    for options in (SynthesisOptions(), SynthesisOptions(speaker="bob", speed=1.5)):
        alone = [engine.synthesize(text, options) for text in texts]
        together = engine.synthesize_batch(texts, options)
        assert [len(a) for a in together] == [len(a) for a in alone]
        for one, batched in zip(alone, together, strict=True):
            np.testing.assert_allclose(batched, one, atol=1e-5)


def test_a_vits_on_onnx_says_what_it_says_on_torch(vits_dir, tmp_path):
    noiseless = noiseless_vits(vits_dir, tmp_path)
    scratch = tmp_path / "scratch"
    on_torch = load_engine(noiseless, "cpu", scratch)
    on_onnx = load_engine(noiseless, "cpu", scratch, "onnx")
    int8 = load_engine(noiseless, "cpu", scratch, "onnx-int8")
    assert sorted(p.suffixes[-2:] for p in scratch.glob("*.onnx")) == [
        [".int8", ".onnx"],
        [".onnx"],
    ]
    assert not list(noiseless.glob("*.onnx")), "the model directory is never written"
    for options in (SynthesisOptions(), SynthesisOptions(speaker="bob", speed=1.5)):
        for text in ("hello there", "a much longer sentence, with a clause in it."):
            expected = on_torch.synthesize(text, options)
            np.testing.assert_allclose(on_onnx.synthesize(text, options), expected, atol=1e-5)
            quantized = int8.synthesize(text, options)
            assert len(quantized) == len(expected)
            assert np.corrcoef(quantized, expected)[0, 1] > 0.5


def test_onnx_backends_run_coqui_vits_only(piper_dir, tmp_path):
    with pytest.raises(ModelLoadError, match="--backend onnx runs Coqui VITS checkpoints"):
        load_engine(piper_dir, "cpu", tmp_path / "scratch", "onnx")


def test_xtts_generations_on_several_threads_each_say_their_own_text(xtts_engine):
    """The scheduler runs XTTS on `--parallel` threads (several by default on a GPU): greedy
    decoding is deterministic, so each concurrent call must equal the same call alone."""
    greedy = SynthesisOptions(sampling={"top_k": 1})
    texts = ["hello there", "a much longer sentence, with more words in it", "hi", "one two"]
    alone = [xtts_engine.synthesize(text, greedy) for text in texts]
    with ThreadPoolExecutor(len(texts)) as pool:
        for _ in range(3):
            together = list(pool.map(lambda text: xtts_engine.synthesize(text, greedy), texts))
            for expected, got in zip(alone, together, strict=True):
                np.testing.assert_allclose(got, expected, atol=1e-5)


def test_xtts_runs_one_call_at_a_time_on_a_cpu_by_default(xtts_engine):
    assert xtts_engine.thread_safe and xtts_engine.default_parallel() == 1
