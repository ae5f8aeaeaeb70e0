"""The gRPC side of the guard: API key, the model repository methods, quiet error mapping."""

from collections.abc import Awaitable, Callable
from typing import Any

import grpc
from grpc.aio import ServerInterceptor
from grpc_interceptor import AsyncExceptionToStatusInterceptor
from grpc_interceptor.exceptions import GrpcException

from voxraga.auth import OPEN_GRPC_METHODS, bearer_matches
from voxraga.error_log import log_error
from voxraga.errors import client_message, retry_after, status_of

REPOSITORY_METHODS = frozenset(
    (
        "/inference.GRPCInferenceService/RepositoryModelLoad",
        "/inference.GRPCInferenceService/RepositoryModelUnload",
    )
)
GRPC_CODES = {
    400: grpc.StatusCode.INVALID_ARGUMENT,
    404: grpc.StatusCode.NOT_FOUND,
    429: grpc.StatusCode.RESOURCE_EXHAUSTED,
    501: grpc.StatusCode.UNIMPLEMENTED,
    503: grpc.StatusCode.UNAVAILABLE,
}


def _refusal(code: grpc.StatusCode, details: str) -> grpc.RpcMethodHandler:
    async def refuse(request: bytes, context: grpc.aio.ServicerContext) -> None:
        await context.abort(code, details)

    return grpc.unary_unary_rpc_method_handler(refuse)


class GuardInterceptor(ServerInterceptor):
    """Refuses calls without the API key, and the repository methods unless they are on."""

    def __init__(self, api_key: str | None, enable_model_repository: bool) -> None:
        self.api_key = api_key
        self.enable_model_repository = enable_model_repository

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        method = details.method
        if self.api_key is not None and method not in OPEN_GRPC_METHODS:
            metadata = dict(details.invocation_metadata or ())
            if not bearer_matches(metadata.get("authorization"), self.api_key):
                log_error(method, 401, "missing or wrong API key")
                return _refusal(
                    grpc.StatusCode.UNAUTHENTICATED,
                    "missing or wrong API key; send metadata 'authorization: Bearer <key>'",
                )
        if method in REPOSITORY_METHODS and not self.enable_model_repository:
            log_error(method, 501, "the model repository methods are off")
            return _refusal(
                grpc.StatusCode.UNIMPLEMENTED,
                "the model repository methods are off; start the server with "
                "--enable_model_repository to turn them on",
            )
        return await continuation(details)


class ErrorInterceptor(AsyncExceptionToStatusInterceptor):
    """KServe's errors as gRPC status codes, with one log line for a client error."""

    async def handle_exception(
        self,
        ex: Exception,
        request_or_iterator: Any,
        context: grpc.aio.ServicerContext,
        method_name: str,
    ) -> None:
        if isinstance(ex, GrpcException):
            await super().handle_exception(ex, request_or_iterator, context, method_name)
            return
        status = status_of(ex)
        message = client_message(ex)
        log_error(method_name, status, message, ex)
        if header := retry_after(ex):
            context.set_trailing_metadata(tuple((k.lower(), v) for k, v in header.items()))
        await context.abort(GRPC_CODES.get(status, grpc.StatusCode.INTERNAL), message)
