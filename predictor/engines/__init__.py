"""Model families behind one interface; `load_engine` finds out which one a directory holds."""

import json
from pathlib import Path

from predictor.engines.base import (
    BlendTerm,
    Engine,
    ModelLoadError,
    NumericOption,
    ReferenceAudio,
    SynthesisInputError,
    SynthesisOptions,
    TimedAudio,
    VoiceCatalog,
    WordTimes,
)

__all__ = [
    "BlendTerm",
    "Engine",
    "ModelLoadError",
    "NumericOption",
    "ReferenceAudio",
    "SynthesisInputError",
    "SynthesisOptions",
    "TimedAudio",
    "VoiceCatalog",
    "WordTimes",
    "detect_family",
    "load_engine",
]

EXPECTED = (
    "a Coqui TTS checkpoint (config.json and model.pth), an XTTS checkpoint (config.json with "
    '"model": "xtts", model.pth, vocab.json) or a Piper voice (x.onnx beside x.onnx.json)'
)


def detect_family(model_dir: Path) -> str:
    """ "xtts", "coqui" or "piper": what `model_dir` holds, judged from its files alone."""
    if not model_dir.is_dir():
        raise ModelLoadError(f"{model_dir}: not a directory; expected {EXPECTED}")
    config_path = model_dir / "config.json"
    if config_path.is_file():
        try:
            config = json.loads(config_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ModelLoadError(f"{config_path}: not readable JSON: {exc}") from exc
        if not isinstance(config, dict):
            raise ModelLoadError(
                f"{config_path}: expected a JSON object, got {type(config).__name__}"
            )
        return "xtts" if str(config.get("model", "")).lower() == "xtts" else "coqui"
    if any(Path(f"{p}.json").is_file() for p in model_dir.glob("*.onnx")):
        return "piper"
    found = ", ".join(sorted(p.name for p in model_dir.iterdir())[:10]) or "nothing"
    raise ModelLoadError(f"{model_dir}: holds no model (found: {found}); expected {EXPECTED}")


BACKENDS = ("torch", "onnx", "onnx-int8")
"""How a Coqui VITS runs: PyTorch, or ONNX Runtime on a graph exported at load (fp32 or with
int8 weights). Every other model runs on its own runtime."""
STREAM_CHUNK_TOKENS = 20
"""Audio tokens XTTS decodes into each piece it streams, XTTS's own default: fewer make the
first audio sooner, at the cost of more decoder calls."""
STREAM_CHUNK_TOKENS_RANGE = (1, 400)


def load_engine(
    model_dir: Path,
    device: str,
    scratch_dir: Path,
    backend: str = "torch",
    stream_chunk_tokens: int = STREAM_CHUNK_TOKENS,
) -> Engine:
    """Load what `model_dir` holds onto `device` ("cpu" or "cuda"), on `backend`; an XTTS
    streams `stream_chunk_tokens` audio tokens a piece.

    Engines are imported here, not at the top, so that serving one family never imports the
    others' dependencies (piper-tts above all, which is GPL and an optional extra).
    """
    family = detect_family(model_dir)
    if backend != "torch" and family != "coqui":
        raise ModelLoadError(
            f"{model_dir}: --backend {backend} runs Coqui VITS checkpoints; this is a {family} "
            "model, which runs on its own runtime (--backend torch)"
        )
    if family == "xtts":
        from predictor.engines.xtts import XttsEngine

        return XttsEngine.load(model_dir, device, stream_chunk_tokens)
    if family == "coqui":
        from predictor.engines.coqui import CoquiEngine

        return CoquiEngine.load(model_dir, device, scratch_dir, backend)
    try:
        from predictor.engines.piper import PiperEngine
    except ImportError as exc:
        raise ModelLoadError(
            f"{model_dir}: holds a Piper voice, but piper-tts is not installed "
            "(pip install 'vox-raga[piper]')"
        ) from exc
    return PiperEngine.load(model_dir, device)
