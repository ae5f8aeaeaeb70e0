"""Stored voices: what the first use of an uploaded voice costs, and every use after it.

A predictor on a small XTTS with random weights and a transformer keeping voices: upload a
recording, then say distinct one-sentence texts (the transformer's cache is off) with the
model's default voice, the stored voice's first use (cold: the predictor computes its
conditioning), and its later uses (warm: the latents come from the predictor's cache by the
recording's hash). Prints median latencies and the ratios to the default voice.
`python bench/voices.py` (--rounds 5; --seconds 10 for the recording's length).
"""

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx

from tests.audio_fixtures import voice_like_recording
from tests.checkpoints import build_tiny_xtts
from tests.servers import PredictorServer, start_predictor, start_transformer


def say(transformer: PredictorServer, text: str, voice: str | None) -> float:
    started = time.perf_counter()
    response = httpx.post(
        f"{transformer.http_url}/v1/audio/speech",
        json={"input": text, "voice": voice, "response_format": "pcm", "stream": False},
        timeout=600,
    )
    response.raise_for_status()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="vox-voices-bench-") as scratch:
        work = Path(scratch)
        predictor = start_predictor(
            build_tiny_xtts(work / "xtts"), "xtts", work, "--device", args.device
        )
        transformer = start_transformer(
            predictor,
            work,
            "--voices_dir",
            str(work / "voices"),
            "--cache_bytes",
            "0",
            protocol="v2",
        )
        try:
            say(transformer, "Warming up.", None)
            default, cold, warm = [], [], []
            for n in range(args.rounds):
                upload = httpx.post(
                    f"{transformer.http_url}/v1/audio/voices",
                    data={"name": f"voice {n}"},
                    files={
                        "audio_sample": ("a.wav", voice_like_recording(args.seconds), "audio/wav")
                    },
                    timeout=60,
                )
                upload.raise_for_status()
                voice = upload.json()["id"]
                default.append(say(transformer, f"Default voice, round {n}.", None))
                cold.append(say(transformer, f"First use, round {n}.", voice))
                warm.append(say(transformer, f"Second use, round {n}.", voice))
            base = statistics.median(default)
            print(
                f"\nsmall XTTS, one sentence, {args.seconds:g} s recording, median of {args.rounds}"
            )
            for label, times in (
                ("default voice", default),
                ("stored, cold", cold),
                ("stored, warm", warm),
            ):
                median = statistics.median(times)
                print(f"{label:<14} {median * 1000:>8.1f} ms {median / base:>6.2f}x default")
        finally:
            transformer.stop()
            predictor.stop()


if __name__ == "__main__":
    main()
