"""`python -m predictor.v2_wav < response.json > speech.wav`: a V2 JSON response as WAV files.

For trying the predictor with curl: the predictor answers with float PCM, not a file format.
Writes the first item to stdout, or every item to `--prefix`N.wav.
"""

import argparse
import io
import json
import sys

import numpy as np
import soundfile

from predictor.contract import AUDIO_LENGTH_OUTPUT, AUDIO_OUTPUT, SAMPLE_RATE_PARAMETER


def decode_response(response: dict) -> tuple[list[np.ndarray], int]:
    """The valid samples of each item, and the sample rate, from a V2 JSON response."""
    outputs = {output["name"]: output for output in response["outputs"]}
    audio = outputs[AUDIO_OUTPUT]
    samples = np.asarray(audio["data"], dtype=np.float32).reshape(audio["shape"])
    lengths = outputs[AUDIO_LENGTH_OUTPUT]["data"]
    items = [samples[row, : int(length)] for row, length in enumerate(lengths)]
    return items, int(response["parameters"][SAMPLE_RATE_PARAMETER])


def main() -> None:
    """Read a response on stdin and write 16-bit WAV."""
    parser = argparse.ArgumentParser(prog="python -m predictor.v2_wav", description=__doc__)
    parser.add_argument("--prefix", help="write every item to PREFIX0.wav, PREFIX1.wav, ...")
    args = parser.parse_args()
    response = json.load(sys.stdin)
    if "outputs" not in response:
        sys.exit(f"error: not a V2 inference response: {json.dumps(response)[:300]}")
    items, sample_rate = decode_response(response)
    if args.prefix:
        for index, item in enumerate(items):
            soundfile.write(f"{args.prefix}{index}.wav", item, sample_rate, subtype="PCM_16")
        return
    buffer = io.BytesIO()
    soundfile.write(buffer, items[0], sample_rate, format="WAV", subtype="PCM_16")
    sys.stdout.buffer.write(buffer.getvalue())


if __name__ == "__main__":
    main()
