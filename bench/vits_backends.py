"""A full-size Coqui VITS on each backend the predictor offers (`--backend torch`, `onnx`,
`onnx-int8`), in process, same sentences, same run: median seconds per sentence, real-time
factor, and each ONNX backend's speed as a ratio to PyTorch's.

The checkpoint is coqui-tts's default VITS with random weights (bench/load.py builds it): the
real cost of a trained one. `python bench/vits_backends.py --repeats 5`.
"""

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.load import build_full_vits
from predictor.engines import BACKENDS, SynthesisOptions, load_engine

SENTENCES = [
    "The quick brown fox jumps over the lazy dog.",
    "Serving speech over KServe should cost little more than making it.",
    "A third sentence, somewhat longer than the others, with a clause in the middle of it.",
]


def measure(model_dir: Path, backend: str, scratch: Path, repeats: int) -> tuple[float, float]:
    """Median seconds per sentence and the real-time factor, after one warm-up each."""
    engine = load_engine(model_dir, "cpu", scratch, backend)
    options = SynthesisOptions()
    for sentence in SENTENCES:
        engine.synthesize(sentence, options)
    seconds, audio = [], 0.0
    for _ in range(repeats):
        for sentence in SENTENCES:
            started = time.perf_counter()
            samples = engine.synthesize(sentence, options)
            seconds.append(time.perf_counter() - started)
            audio += len(samples) / engine.sample_rate
    return statistics.median(seconds), sum(seconds) / audio


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        model_dir = build_full_vits(Path(work) / "full-vits")
        results = {b: measure(model_dir, b, Path(work) / "scratch", args.repeats) for b in BACKENDS}
    base = results["torch"][0]
    print(f"{'backend':<10} {'median s/sentence':>18} {'RTF':>7} {'speed vs torch':>15}")
    for backend, (median, rtf) in results.items():
        print(f"{backend:<10} {median:>18.3f} {rtf:>7.3f} {base / median:>14.2f}x")


if __name__ == "__main__":
    main()
