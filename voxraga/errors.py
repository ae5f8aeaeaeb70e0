"""Errors as clients see them, and one quiet log line for each client error.

KServe 0.21 logs every exception with its traceback, a 400 included (a fuzzing run wrote 69 MB
of log). Here a 4xx logs one line (route, status, message) and only a 5xx logs its traceback.
Request text is never logged: messages name fields and limits, not what a client said.
"""

import logging
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

logger = logging.getLogger("voxraga.errors")

MAX_LOGGED_MESSAGE = 300
"""Characters of an error message in one log line."""


STATUS_BY_ERROR: tuple[tuple[type[BaseException], HTTPStatus], ...] = (
    (InvalidInput, HTTPStatus.BAD_REQUEST),
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


def log_error(route: str, status: int, message: str, exc: BaseException | None = None) -> None:
    """One line for a client error or an unavailable model; the traceback too for a 500."""
    line = f"{route} {status}: {message[:MAX_LOGGED_MESSAGE]}"
    if status == HTTPStatus.INTERNAL_SERVER_ERROR:
        logger.error(line, exc_info=exc)
    elif status >= 500:
        logger.warning(line)
    else:
        logger.info(line)


async def exception_handler(request: Request, exc: Exception) -> JSONResponse:
    """Every exception a REST route raises, as KServe's `{"error": ...}` body."""
    status = status_of(exc)
    message = client_message(exc)
    log_error(f"{request.method} {request.url.path}", status, message, exc)
    return JSONResponse({"error": message}, status_code=status)
