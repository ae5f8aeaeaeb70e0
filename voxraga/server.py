"""KServe's ModelServer with the guard both vox-raga servers need.

- REST: the RequestGuard middleware (API key, body limits, disconnects), quiet error handlers,
  V2 only (KServe's V1 `:predict` answered 500 on a V2 model, a versioned V2 path 501), and
  the model repository routes only with `--enable_model_repository`.
- gRPC: the same API key and repository rule, quiet error mapping, and message size limits
  sized by the caller (a long text's audio must fit in one reply).
"""

import argparse
import asyncio
from collections.abc import Awaitable, Callable
from concurrent import futures
from dataclasses import dataclass

import fastapi
from fastapi import APIRouter
from grpc import aio
from kserve import ModelServer
from kserve.model_server import FASTAPI_APP_IMPORT_STRING
from kserve.protocol.grpc import grpc_predict_v2_pb2_grpc
from kserve.protocol.grpc.server import GRPCServer
from kserve.protocol.grpc.servicer import InferenceServicer
from kserve.protocol.rest.server import RESTServer, metrics_handler
from kserve.protocol.rest.v2_endpoints import V2Endpoints, register_v2_endpoints
from starlette.exceptions import HTTPException
from starlette.routing import BaseRoute

from voxraga.auth import API_KEY_ENV, ApiKeyError, load_api_key
from voxraga.errors import STATUS_BY_ERROR, exception_handler, http_exception_handler
from voxraga.grpc_guard import ErrorInterceptor, GuardInterceptor
from voxraga.http_guard import BodyLimits, RequestGuard


@dataclass(frozen=True)
class ServingOptions:
    """How a server guards itself; built from the flags `add_serving_arguments` adds."""

    api_key: str | None
    """None: no key needed."""
    enable_model_repository: bool
    body_limits: BodyLimits
    grpc_max_receive_bytes: int
    grpc_max_send_bytes: int


def add_serving_arguments(parser: argparse.ArgumentParser) -> None:
    """The flags both servers share."""
    parser.add_argument(
        "--api_key_file",
        default=None,
        help=f"file holding the API key every route but health, readiness and /metrics needs "
        f"(Authorization: Bearer KEY); default: the {API_KEY_ENV} environment variable, if set",
    )
    parser.add_argument(
        "--enable_model_repository",
        action="store_true",
        help="turn on KServe's model repository routes (/v2/repository/..., load and unload), "
        "which change state and are off by default",
    )


def api_key_or_exit(parser: argparse.ArgumentParser, args: argparse.Namespace) -> str | None:
    """The API key the flags or environment configure; a key that cannot be used ends the
    program with the parser's usage error."""
    try:
        return load_api_key(args.api_key_file)
    except ApiKeyError as exc:
        parser.error(str(exc))


def _is_served(route: BaseRoute, enable_model_repository: bool) -> bool:
    # V2's versioned paths answer 501 in KServe: one model is served, its version reported in
    # every response.
    if "/versions/" in getattr(route, "path", ""):
        return False
    endpoint = getattr(route, "endpoint", None)
    repository = (V2Endpoints.load, V2Endpoints.unload)
    return enable_model_repository or getattr(endpoint, "__func__", None) not in repository


class _CapturedRouter:
    """Stands in for the app in KServe's route registration, to keep its router."""

    router: APIRouter

    def include_router(self, router: APIRouter) -> None:
        self.router = router


class _GuardedRESTServer(RESTServer):
    def __init__(self, *args: object, options: ServingOptions, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.options = options

    def _add_middlewares(self, app: fastapi.FastAPI) -> None:
        super()._add_middlewares(app)
        app.add_middleware(
            RequestGuard, api_key=self.options.api_key, body_limits=self.options.body_limits
        )

    def _register_endpoints(self, app: fastapi.FastAPI) -> None:
        # KServe's registration, less its V1 protocol (V1 `:predict` on a V2 model was a 500),
        # its OpenAI LLM and time-series routes, and the routes the options leave out.
        root = APIRouter()
        root.add_api_route("/", self.dataplane.live)
        root.add_api_route("/metrics", metrics_handler, methods=["GET"])
        app.include_router(root)
        captured = _CapturedRouter()
        register_v2_endpoints(captured, self.dataplane, self.model_repository_extension)
        captured.router.routes[:] = [
            route
            for route in captured.router.routes
            if _is_served(route, self.options.enable_model_repository)
        ]
        app.include_router(captured.router)

    def _add_exception_handlers(self, app: fastapi.FastAPI) -> None:
        # Each known kind by name: Starlette sends a handler registered for Exception alone
        # through its ServerErrorMiddleware, which answers and then re-raises (a traceback in
        # the log for every 400). FastAPI's own 422 is a 400 here, as every bad input.
        app.add_exception_handler(HTTPException, http_exception_handler)
        for kind, _ in STATUS_BY_ERROR:
            app.add_exception_handler(kind, exception_handler)
        app.add_exception_handler(Exception, exception_handler)


class _GuardedGRPCServer(GRPCServer):
    def __init__(self, *args: object, options: ServingOptions, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.options = options

    async def start(self, max_workers: int) -> None:
        self._server = aio.server(
            futures.ThreadPoolExecutor(max_workers=max_workers),
            interceptors=(
                GuardInterceptor(self.options.api_key, self.options.enable_model_repository),
                ErrorInterceptor(),
            ),
            options=[
                ("grpc.max_send_message_length", self.options.grpc_max_send_bytes),
                ("grpc.max_receive_message_length", self.options.grpc_max_receive_bytes),
            ],
        )
        grpc_predict_v2_pb2_grpc.add_GRPCInferenceServiceServicer_to_server(
            InferenceServicer(self._data_plane, self._model_repository_extension), self._server
        )
        self._server.add_insecure_port(f"[::]:{self._port}")
        await self._server.start()
        await self._server.wait_for_termination()


class GuardedModelServer(ModelServer):
    """ModelServer, one worker, with the guard on both protocols.

    `depends_on` is what else must answer ready for this server to be ready (the transformer's
    predictor): `/v2/health/ready` and gRPC ServerReady, which the probes use, say so, while a
    model's own readiness says it is loaded (a transformer still answers from its cache).
    """

    def __init__(
        self,
        options: ServingOptions,
        depends_on: Callable[[], Awaitable[bool]] | None = None,
        **kwargs: object,
    ) -> None:
        super().__init__(**kwargs)
        self.options = options
        self.depends_on = depends_on

    def start(self, models: list) -> None:
        """Serve `models` until SIGTERM (as ModelServer.start, with the guarded servers)."""
        self._register_and_check_atleast_one_model_is_ready(models)

        # KServe's server readiness is True once started: a transformer whose predictor was
        # down stayed in its Service.
        async def ready() -> bool:
            healthy = all([await model.healthy() for model in models])
            return healthy and (self.depends_on is None or await self.depends_on())

        self.dataplane.ready = ready
        self._rest_server = _GuardedRESTServer(
            FASTAPI_APP_IMPORT_STRING,
            self.dataplane,
            self.model_repository_extension,
            self.http_port,
            options=self.options,
            access_log_format=self.access_log_format,
            workers=1,
            grace_period=self.grace_period,
            event_loop=self.event_loop,
            timeout_keep_alive=self.timeout_keep_alive,
            ssl_certfile=self.ssl_certfile,
            ssl_keyfile=self.ssl_keyfile,
        )
        self.servers.append(self._rest_server.start())
        if self.enable_grpc:
            self._grpc_server = _GuardedGRPCServer(
                self.grpc_port,
                self.dataplane,
                self.model_repository_extension,
                kwargs={},
                grace_period=self.grace_period,
                options=self.options,
            )
            self.servers.append(self._grpc_server.start(self.max_threads))
        self.setup_event_loop()
        self.register_signal_handler()
        asyncio.run(self._serve())
