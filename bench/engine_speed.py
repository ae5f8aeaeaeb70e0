"""Synthesis speed of each engine on each device, in process: CUDA against CPU in the same run.

Without --model_dir it builds the tests' tiny checkpoints (random weights), which exercise the
CUDA code path but say little about a real model's speed; point --model_dir at a real XTTS or
VITS directory for figures that matter. Prints each device's median time and real-time factor
and the speed-up over CPU.
"""

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch

from predictor.engines import SynthesisOptions, load_engine
from tests.checkpoints import build_tiny_vits, build_tiny_xtts

TEXTS = [
    "The quick brown fox jumps over the lazy dog.",
    "Serving speech on a GPU should be much faster than on a CPU for a large model.",
]


def measure(model_dir: Path, device: str, scratch: Path, repeats: int) -> tuple[float, float]:
    """Median seconds to say all TEXTS, and the seconds of audio that makes."""
    engine = load_engine(model_dir, device, scratch)
    options = SynthesisOptions()
    audio_seconds = sum(len(engine.synthesize(t, options)) for t in TEXTS) / engine.sample_rate
    times = []
    for _ in range(repeats):
        if device == "cuda":
            torch.cuda.synchronize()
        started = time.perf_counter()
        for text in TEXTS:
            engine.synthesize(text, options)
        if device == "cuda":
            torch.cuda.synchronize()
        times.append(time.perf_counter() - started)
    return statistics.median(times), audio_seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model_dir", type=Path, action="append", help="repeatable")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="vox-raga-speed-"))
    model_dirs = args.model_dir or [
        build_tiny_vits(work / "tiny-vits"),
        build_tiny_xtts(work / "tiny-xtts"),
    ]
    devices = ["cpu", "cuda"] if torch.cuda.is_available() else ["cpu"]
    if len(devices) == 1:
        print("no CUDA device: CPU figures only")
    for model_dir in model_dirs:
        print(f"\n{model_dir.name}, {len(TEXTS)} texts, median of {args.repeats}:")
        baseline = None
        for device in devices:
            seconds, audio_seconds = measure(model_dir, device, work / "scratch", args.repeats)
            baseline = baseline or seconds
            print(
                f"  {device:<5} {seconds * 1000:9.1f} ms   real-time factor "
                f"{seconds / audio_seconds:.3f}   {baseline / seconds:.2f}x CPU speed"
            )


if __name__ == "__main__":
    main()
