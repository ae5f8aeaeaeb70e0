"""`python -m predictor`: serve one speech model over KServe V2 (REST and gRPC)."""

import argparse
import sys
import tempfile
from pathlib import Path

from kserve import model_server

from predictor.engines import (
    BACKENDS,
    STREAM_CHUNK_TOKENS,
    STREAM_CHUNK_TOKENS_RANGE,
    ModelLoadError,
)
from predictor.model import SpeechModel
from predictor.routes import stream_router, voices_router
from predictor.scheduler import Scheduling
from voxraga import kserve_compat
from voxraga.contract import MIB, Limits
from voxraga.http_guard import BodyLimits
from voxraga.server import (
    GuardedModelServer,
    ServingOptions,
    add_serving_arguments,
    api_key_or_exit,
)
from voxraga.server_logging import configure_logging

DEFAULTS = Limits()
SCHEDULING = Scheduling()


def _positive(kind: type) -> object:
    def parse(text: str) -> int | float:
        value = kind(text)
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be greater than 0, got {text}")
        return value

    parse.__name__ = kind.__name__
    return parse


def _whole_number_within(low: int, high: int) -> object:
    def parse(text: str) -> int:
        value = int(text)
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be from {low} to {high}, got {text}")
        return value

    parse.__name__ = "int"
    return parse


def build_parser() -> argparse.ArgumentParser:
    """KServe's model server flags plus the predictor's own; unknown flags are an error."""
    parser = argparse.ArgumentParser(
        prog="python -m predictor",
        parents=[model_server.parser],
        description="Serve a Coqui TTS, XTTS or Piper (ONNX VITS) model over KServe V2.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument(
        "--model_dir",
        default="/mnt/models",
        help="model directory, or a URI kserve-storage downloads (s3://, gs://, hf://, https://)",
    )
    parser.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    parser.add_argument(
        "--backend",
        default="torch",
        choices=BACKENDS,
        help="how a Coqui VITS runs: PyTorch, or ONNX Runtime on a graph exported at load "
        "(fp32, or int8 weights); other models run on their own runtime",
    )
    parser.add_argument(
        "--model_version",
        default=None,
        help="reported in every response; default: model family and a hash of its files",
    )
    parser.add_argument(
        "--scratch_dir",
        default=str(Path(tempfile.gettempdir()) / "vox-raga"),
        help="writable directory for downloads and config copies; the model dir is never written",
    )
    limits = {
        "--max_text_chars": (int, DEFAULTS.max_text_chars, "characters in one text item"),
        "--max_batch_size": (int, DEFAULTS.max_batch_size, "text items in one request"),
        "--max_references": (int, DEFAULTS.max_references, "speaker_wav recordings per request"),
        "--max_reference_seconds": (
            float,
            DEFAULTS.max_reference_seconds,
            "seconds of one recording",
        ),
        "--max_reference_bytes": (int, DEFAULTS.max_reference_bytes, "bytes of one recording"),
        "--max_request_bytes": (
            int,
            DEFAULTS.max_request_bytes,
            "bytes of one request body or gRPC message (413 / RESOURCE_EXHAUSTED above)",
        ),
        "--max_response_bytes": (
            int,
            DEFAULTS.max_response_bytes,
            "bytes of one response's audio; more is a 400 asking for fewer or shorter texts",
        ),
    }
    scheduling = {
        "--max_queue_items": (
            int,
            SCHEDULING.max_queue_items,
            "text items admitted, queued plus in flight; past it a 429 (RESOURCE_EXHAUSTED)",
        ),
        "--batch_max_items": (
            int,
            SCHEDULING.batch_max_items,
            "text items in one engine call, for engines that batch",
        ),
        "--batch_wait_ms": (
            float,
            SCHEDULING.batch_wait_s * 1000,
            "milliseconds a batch waits for requests to join it",
        ),
    }
    parser.add_argument(
        "--batching",
        choices=["auto", "on", "off"],
        default=SCHEDULING.batching,
        help="combine requests into one engine call where the engine can (Coqui VITS); auto: "
        "on a GPU only, as a padded batch costs more than it saves on a CPU",
    )
    parser.add_argument(
        "--parallel",
        type=int,
        choices=range(0, 65),
        metavar="N",
        default=SCHEDULING.parallel,
        help="engine calls at once, for engines safe to call from several threads (Piper, "
        "XTTS); 0: what pays on the device (Piper one per core, XTTS 4 on a GPU, 1 on a CPU)",
    )
    parser.add_argument(
        "--stream_chunk_tokens",
        type=_whole_number_within(*STREAM_CHUNK_TOKENS_RANGE),
        metavar="N",
        default=STREAM_CHUNK_TOKENS,
        help="XTTS audio tokens in each piece that /infer/stream sends, from {} to {}: fewer "
        "make the first audio sooner, at more decoder calls; the default is XTTS's "
        "own".format(*STREAM_CHUNK_TOKENS_RANGE),
    )
    for flag, (kind, default, meaning) in limits.items():
        parser.add_argument(flag, type=_positive(kind), default=default, help=f"at most: {meaning}")
    for flag, (kind, default, meaning) in scheduling.items():
        parser.add_argument(flag, type=_positive(kind), default=default, help=meaning)
    add_serving_arguments(parser)
    return parser


def main(argv: list[str] | None = None) -> None:
    """Load the model, then serve it until SIGTERM or Ctrl-C."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.workers != 1:
        parser.error(
            "--workers must be 1: each predictor process serves one model and synthesis is "
            "serialized on it; scale with replicas"
        )
    configure_logging(args, "predictor")
    limits = Limits(
        max_text_chars=args.max_text_chars,
        max_batch_size=args.max_batch_size,
        max_references=args.max_references,
        max_reference_seconds=args.max_reference_seconds,
        max_reference_bytes=args.max_reference_bytes,
        max_request_bytes=args.max_request_bytes,
        max_response_bytes=args.max_response_bytes,
    )
    api_key = api_key_or_exit(parser, args)
    model = SpeechModel(
        args.model_name,
        args.model_dir,
        device=args.device,
        limits=limits,
        model_version=args.model_version,
        scratch_dir=Path(args.scratch_dir),
        backend=args.backend,
        stream_chunk_tokens=args.stream_chunk_tokens,
        scheduling=Scheduling(
            max_queue_items=args.max_queue_items,
            batch_max_items=args.batch_max_items,
            batch_wait_s=args.batch_wait_ms / 1000,
            batching=args.batching,
            parallel=args.parallel,
        ),
    )
    try:
        model.load()
    except ModelLoadError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
    kserve_compat.apply()
    options = ServingOptions(
        api_key=api_key,
        enable_model_repository=args.enable_model_repository,
        body_limits=BodyLimits(limits.max_request_bytes),
        grpc_max_receive_bytes=limits.max_request_bytes,
        # The reply is refused in predict() above max_response_bytes; headroom for its framing.
        grpc_max_send_bytes=limits.max_response_bytes + MIB,
    )
    server = GuardedModelServer(
        options, http_port=args.http_port, grpc_port=args.grpc_port, workers=1
    )
    models = {model.name: model}
    model_server.app.include_router(voices_router(models))
    model_server.app.include_router(stream_router(models, server.dataplane))
    server.start([model])


if __name__ == "__main__":
    main()
