"""`python -m transformer`: the KServe transformer in front of a vox-raga predictor."""

import argparse
from pathlib import Path

from kserve import model_server

from transformer.cache import ByteBoundedLRU
from transformer.model import SpeechTransformer
from transformer.openai import openai_router
from transformer.pipeline import AUDIO_OVERRUN, SpeechService
from transformer.playground import playground_router
from transformer.predictor_client import PredictorClient
from transformer.request import Limits, default_max_audio_seconds
from transformer.text import base_language, nemo
from transformer.timestamps import timestamps_router
from transformer.voice_routes import voices_router
from transformer.voices import VoiceStore
from transformer.websocket import websocket_router
from voxraga import kserve_compat
from voxraga.contract import MIB
from voxraga.http_guard import BodyLimits
from voxraga.server import (
    GuardedModelServer,
    ServingOptions,
    add_serving_arguments,
    api_key_or_exit,
)
from voxraga.server_logging import configure_logging

DEFAULTS = Limits()
UPLOAD_PREFIX = "/v1/audio/voices"
"""Voice uploads take recordings: their own, larger body limit."""
LARGEST_ENCODED_BYTES_PER_SECOND = 48000 * 2
"""16-bit PCM at the highest sample rate a client may ask for: the largest encoding there is."""


def build_parser() -> argparse.ArgumentParser:
    """KServe's model server flags (--predictor_host, --predictor_protocol...) and ours."""
    parser = argparse.ArgumentParser(
        prog="python -m transformer",
        parents=[model_server.parser],
        description="Text normalization, SSML and audio encoding in front of a vox-raga predictor.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument(
        "--predictor_rest_host",
        default=None,
        help="host:port of the predictor's HTTP port, for its token streaming route; needed "
        "for token streaming when --predictor_protocol is grpc-v2 (v2 uses --predictor_host)",
    )
    parser.add_argument("--default_language", default="en", help="for text that names none")
    parser.add_argument(
        "--grammar_dir",
        default=str(nemo.default_grammar_dir()),
        help="compiled text normalization grammars (NeMo), one set per language, loaded on first "
        f"use; ${nemo.GRAMMAR_DIR_ENV} sets the default. A language missing there is compiled "
        "in the background (minutes), its text read by fallback rules until then",
    )
    parser.add_argument(
        "--voices_dir",
        default=None,
        help="where uploaded voices are kept: a volume every replica shares (ReadWriteMany); "
        "without it, uploads are refused and only the model's own voices exist",
    )
    parser.add_argument(
        "--cache_bytes",
        type=int,
        default=64 * 1024 * 1024,
        help="finished audio kept for repeated requests; 0 turns the cache off",
    )
    parser.add_argument(
        "--max_input_chars",
        type=int,
        default=DEFAULTS.max_input_chars,
        help="speakable characters in one request, counted after SSML is expanded",
    )
    parser.add_argument("--max_sentence_chars", type=int, default=DEFAULTS.max_sentence_chars)
    parser.add_argument(
        "--max_batch_size",
        type=int,
        default=DEFAULTS.max_batch_size,
        help="sentences per predictor request; keep within the predictor's",
    )
    parser.add_argument(
        "--max_pause_seconds",
        type=float,
        default=DEFAULTS.max_pause_seconds,
        help="sum of the pauses (SSML <break>, paragraphs) in one request",
    )
    parser.add_argument(
        "--max_audio_seconds",
        type=float,
        default=None,
        help="audio one request may make, estimated before any synthesis; default: what "
        "--max_input_chars said at normal speed takes, plus --max_pause_seconds",
    )
    parser.add_argument(
        "--max_request_bytes",
        type=int,
        default=MIB,
        help="body of one speech request (413 above); gRPC messages likewise",
    )
    parser.add_argument(
        "--max_upload_bytes",
        type=int,
        default=10 * MIB,
        help=f"body of one voice upload ({UPLOAD_PREFIX}); 413 above",
    )
    parser.add_argument(
        "--max_concurrent_requests",
        type=int,
        default=32,
        help="speech requests in progress; past it a 429 with Retry-After",
    )
    add_serving_arguments(parser)
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
    for flag in (
        "cache_bytes",
        "max_input_chars",
        "max_sentence_chars",
        "max_batch_size",
        "max_pause_seconds",
        "max_request_bytes",
        "max_upload_bytes",
        "max_concurrent_requests",
    ):
        if getattr(args, flag) < (0 if flag in ("cache_bytes", "max_pause_seconds") else 1):
            parser.error(f"--{flag} is too small: {getattr(args, flag)}")
    if args.max_audio_seconds is None:
        args.max_audio_seconds = default_max_audio_seconds(
            args.max_input_chars, args.max_pause_seconds
        )
    elif args.max_audio_seconds <= 0:
        parser.error(f"--max_audio_seconds must be greater than 0, got {args.max_audio_seconds}")
    api_key = api_key_or_exit(parser, args)
    configure_logging(args, "transformer")
    nemo.configure(Path(args.grammar_dir))
    # The default language's grammar loads beside the server's start, not in the first request.
    nemo.GRAMMARS.warm(base_language(args.default_language))
    client = PredictorClient(
        args.predictor_host,
        args.model_name,
        args.predictor_protocol,
        float(args.predictor_request_timeout_seconds),
        api_key=api_key,
        rest_host=args.predictor_rest_host,
    )
    limits = Limits(
        max_input_chars=args.max_input_chars,
        max_sentence_chars=args.max_sentence_chars,
        max_batch_size=args.max_batch_size,
        max_pause_seconds=args.max_pause_seconds,
        max_audio_seconds=args.max_audio_seconds,
    )
    service = SpeechService(
        client,
        default_language=args.default_language,
        limits=limits,
        cache=ByteBoundedLRU(args.cache_bytes) if args.cache_bytes else None,
        max_concurrent_requests=args.max_concurrent_requests,
        voices=VoiceStore(Path(args.voices_dir) if args.voices_dir else None),
    )
    kserve_compat.apply()
    model_server.app.include_router(openai_router(service))
    model_server.app.include_router(websocket_router(service))
    model_server.app.include_router(playground_router())
    model_server.app.include_router(voices_router(service, args.model_name))
    model_server.app.include_router(timestamps_router(service))
    options = ServingOptions(
        api_key=api_key,
        enable_model_repository=args.enable_model_repository,
        body_limits=BodyLimits(args.max_request_bytes, {UPLOAD_PREFIX: args.max_upload_bytes}),
        grpc_max_receive_bytes=args.max_request_bytes,
        # The longest answer: what a model may overrun the audio bound to, in the largest
        # encoding, plus its framing.
        grpc_max_send_bytes=int(
            AUDIO_OVERRUN * args.max_audio_seconds * LARGEST_ENCODED_BYTES_PER_SECOND
        )
        + MIB,
    )
    GuardedModelServer(
        options,
        depends_on=client.is_ready,
        http_port=args.http_port,
        grpc_port=args.grpc_port,
        workers=1,
    ).start([SpeechTransformer(args.model_name, service)])


if __name__ == "__main__":
    main()
