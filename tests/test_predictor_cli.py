"""How the predictor process starts, and how it refuses to."""

import subprocess
import sys
from pathlib import Path

import pytest

from tests.servers import run_predictor_to_exit


def last_line(result: subprocess.CompletedProcess) -> str:
    return result.stderr.strip().splitlines()[-1]


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "predictor", *args], capture_output=True, text=True, timeout=120
    )


def test_unknown_flags_are_an_error():
    result = run_cli("--model_dir", "/x", "--bogus_flag", "1")
    assert result.returncode == 2
    assert "unrecognized arguments: --bogus_flag 1" in result.stderr


def test_more_than_one_worker_is_refused():
    result = run_cli("--model_dir", "/x", "--workers", "2")
    assert result.returncode == 2
    assert "--workers must be 1" in result.stderr


def test_limits_must_be_positive():
    result = run_cli("--model_dir", "/x", "--max_batch_size", "0")
    assert result.returncode == 2
    assert "--max_batch_size: must be greater than 0, got 0" in result.stderr


def test_help_lists_kserve_and_predictor_flags():
    result = run_cli("--help")
    assert result.returncode == 0
    for flag in ("--model_dir", "--device", "--http_port", "--grpc_port", "--max_text_chars"):
        assert flag in result.stdout


def test_missing_directory_exits_naming_it(tmp_path, log_dir):
    result = run_predictor_to_exit(tmp_path / "nowhere", log_dir)
    assert result.returncode != 0
    assert last_line(result) == f"error: {tmp_path / 'nowhere'}: model directory does not exist"


def test_directory_without_a_model_exits_saying_what_was_expected(tmp_path, log_dir):
    (tmp_path / "notes.txt").write_text("not a model")
    result = run_predictor_to_exit(tmp_path, log_dir)
    assert result.returncode != 0
    line = last_line(result)
    assert line.startswith(f"error: {tmp_path}: holds no model (found: notes.txt); expected")
    assert "XTTS checkpoint" in line and "Piper voice" in line


def test_corrupt_checkpoint_exits_naming_the_file(tmp_path, log_dir, vits_dir):
    model_dir = tmp_path / "corrupt"
    model_dir.mkdir()
    (model_dir / "config.json").write_bytes((vits_dir / "config.json").read_bytes())
    (model_dir / "model.pth").write_bytes(b"\x00" * 1000)
    result = run_predictor_to_exit(model_dir, log_dir)
    assert result.returncode != 0
    assert last_line(result).startswith(
        f"error: {model_dir / 'model.pth'}: cannot load the Coqui TTS model"
    )


def test_xtts_without_vocab_exits_naming_the_missing_file(tmp_path, log_dir, xtts_dir):
    model_dir = tmp_path / "xtts-no-vocab"
    model_dir.mkdir()
    for name in ("config.json", "model.pth"):
        (model_dir / name).symlink_to(xtts_dir / name)
    result = run_predictor_to_exit(model_dir, log_dir)
    assert result.returncode != 0
    assert last_line(result).startswith(
        f"error: {model_dir}: XTTS checkpoint is missing vocab.json"
    )


def test_invalid_config_json_exits_naming_it(tmp_path, log_dir):
    (tmp_path / "config.json").write_text("{not json")
    result = run_predictor_to_exit(tmp_path, log_dir)
    assert result.returncode != 0
    assert last_line(result).startswith(f"error: {tmp_path / 'config.json'}: not readable JSON")


def test_cuda_without_a_gpu_exits_with_a_clear_line(vits_dir, log_dir):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    result = run_cli(
        "--model_dir", str(vits_dir), "--device", "cuda", "--scratch_dir", str(log_dir / "cuda")
    )
    assert result.returncode != 0
    assert "torch sees no CUDA device" in last_line(result)


def test_model_served_from_a_file_uri(tmp_path, log_dir, vits_dir):
    """A URI goes through kserve-storage (file:// links the files into the scratch dir)."""
    from tests.clients import infer_json
    from tests.servers import start_predictor

    server = start_predictor(f"file://{vits_dir}", "from-uri", log_dir)
    try:
        assert infer_json(server, ["hello"]).lengths[0] > 0
    finally:
        server.stop()
    assert Path(vits_dir / "model.pth").is_file()
