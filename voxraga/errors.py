"""Errors as clients see them: KServe's exceptions and Starlette's as statuses and bodies,
each logged once through `error_log`."""

from http import HTTPStatus

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from kserve.errors import (
    InferenceError,
    InvalidInput,
    ModelNotFound,
    ModelNotReady,
    ServerNotLive,
    ServerNotReady,
    UnsupportedProtocol,
)
from starlette.exceptions import HTTPException

from voxraga.error_log import log_error
from voxraga.overload import TooManyRequestsError

STATUS_BY_ERROR: tuple[tuple[type[BaseException], HTTPStatus], ...] = (
    (InvalidInput, HTTPStatus.BAD_REQUEST),
    (TooManyRequestsError, HTTPStatus.TOO_MANY_REQUESTS),
    (RequestValidationError, HTTPStatus.BAD_REQUEST),
    # Python's json module recurses: a body nested thousands deep ends here, not in a route.
    (RecursionError, HTTPStatus.BAD_REQUEST),
    (ModelNotFound, HTTPStatus.NOT_FOUND),
    (ModelNotReady, HTTPStatus.SERVICE_UNAVAILABLE),
    (ServerNotReady, HTTPStatus.SERVICE_UNAVAILABLE),
    (ServerNotLive, HTTPStatus.SERVICE_UNAVAILABLE),
    # KServe raises it for a `model_version` query or path: a request this server cannot serve.
    (NotImplementedError, HTTPStatus.BAD_REQUEST),
    (UnsupportedProtocol, HTTPStatus.NOT_IMPLEMENTED),
    (InferenceError, HTTPStatus.INTERNAL_SERVER_ERROR),
)


def status_of(exc: BaseException) -> HTTPStatus:
    """The HTTP status an exception answers with; anything unknown is a 500."""
    for kind, status in STATUS_BY_ERROR:
        if isinstance(exc, kind):
            return status
    return HTTPStatus.INTERNAL_SERVER_ERROR


def client_message(exc: BaseException) -> str:
    """What the client is told: KServe's errors keep theirs in `reason`; an unexpected error
    says only its kind (the log has the rest)."""
    if status_of(exc) == HTTPStatus.INTERNAL_SERVER_ERROR and not isinstance(exc, InferenceError):
        return f"internal error ({type(exc).__name__}); see the server log"
    if isinstance(exc, RecursionError):
        return "the request is nested too deeply to read"
    if isinstance(exc, RequestValidationError):
        return "; ".join(_validation_problem(error) for error in exc.errors()[:5])
    return str(getattr(exc, "reason", None) or exc) or type(exc).__name__


def _validation_problem(error: dict) -> str:
    where = ".".join(str(part) for part in error.get("loc", ()) if part != "body")
    return f"{where or 'body'}: {error.get('msg', 'invalid')}"


async def http_exception_handler(request: Request, exc: HTTPException) -> JSONResponse:
    """Starlette's and FastAPI's own HTTP errors (no such route, a body FastAPI cannot parse)
    in the same shape and log line as every other error."""
    message = str(exc.detail)
    log_error(f"{request.method} {request.url.path}", exc.status_code, message)
    return JSONResponse({"error": message}, status_code=exc.status_code, headers=exc.headers)


async def exception_handler(request: Request, exc: Exception) -> JSONResponse:
    """Every exception a REST route raises, as KServe's `{"error": ...}` body."""
    status = status_of(exc)
    message = client_message(exc)
    log_error(f"{request.method} {request.url.path}", status, message, exc)
    headers = retry_after(exc)
    return JSONResponse({"error": message}, status_code=status, headers=headers or None)


def retry_after(exc: BaseException) -> dict[str, str]:
    """The Retry-After header a refusal carries, if it is one."""
    if isinstance(exc, TooManyRequestsError):
        return {"Retry-After": str(exc.retry_after_s)}
    return {}
