"""`python -m transformer`: the KServe transformer in front of a vox-raga predictor."""

import argparse

import kserve
from kserve import model_server

from predictor import kserve_compat
from predictor.server_logging import configure_logging
from transformer.cache import ByteBoundedLRU
from transformer.model import SpeechTransformer
from transformer.openai import openai_router
from transformer.predictor_client import PredictorClient
from transformer.speech import Limits, SpeechService

DEFAULTS = Limits()


def build_parser() -> argparse.ArgumentParser:
    """KServe's model server flags (--predictor_host, --predictor_protocol...) and ours."""
    parser = argparse.ArgumentParser(
        prog="python -m transformer",
        parents=[model_server.parser],
        description="Text normalization, SSML and audio encoding in front of a vox-raga predictor.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--default_language", default="en", help="for text that names none")
    parser.add_argument(
        "--cache_bytes",
        type=int,
        default=64 * 1024 * 1024,
        help="finished audio kept for repeated requests; 0 turns the cache off",
    )
    parser.add_argument("--max_input_chars", type=int, default=DEFAULTS.max_input_chars)
    parser.add_argument("--max_sentence_chars", type=int, default=DEFAULTS.max_sentence_chars)
    parser.add_argument(
        "--max_batch_size",
        type=int,
        default=DEFAULTS.max_batch_size,
        help="sentences per predictor request; keep within the predictor's",
    )
    return parser


def main(argv: list[str] | None = None) -> None:
    """Serve until SIGTERM or Ctrl-C."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.workers != 1:
        parser.error("--workers must be 1: scale the transformer with replicas")
    if not args.predictor_host:
        parser.error("--predictor_host is required (host:port of the predictor)")
    if args.predictor_protocol not in ("v2", "grpc-v2"):
        parser.error("--predictor_protocol must be v2 (REST, binary tensors) or grpc-v2")
    for flag in ("cache_bytes", "max_input_chars", "max_sentence_chars", "max_batch_size"):
        if getattr(args, flag) < (0 if flag == "cache_bytes" else 1):
            parser.error(f"--{flag} is too small: {getattr(args, flag)}")
    configure_logging(args, "transformer")
    client = PredictorClient(
        args.predictor_host,
        args.model_name,
        args.predictor_protocol,
        float(args.predictor_request_timeout_seconds),
    )
    service = SpeechService(
        client,
        default_language=args.default_language,
        limits=Limits(args.max_input_chars, args.max_sentence_chars, args.max_batch_size),
        cache=ByteBoundedLRU(args.cache_bytes) if args.cache_bytes else None,
    )
    kserve_compat.apply()
    model_server.app.include_router(openai_router(service))
    kserve.ModelServer(
        http_port=args.http_port, grpc_port=args.grpc_port, workers=args.workers
    ).start([SpeechTransformer(args.model_name, service)])


if __name__ == "__main__":
    main()
