"""One quiet log line for each client error; the traceback only for a server error.

KServe 0.21 logs every exception with its traceback, a 400 included (a fuzzing run wrote 69 MB
of log). Request text is never logged: messages name fields and limits, not what a client said.
No KServe import: the transformer's planning uses this beside tritonclient in tests.
"""

import logging
from http import HTTPStatus

logger = logging.getLogger("voxraga.errors")

MAX_LOGGED_MESSAGE = 300
"""Characters of an error message in one log line."""


def log_error(route: str, status: int, message: str, exc: BaseException | None = None) -> None:
    """One line for a client error or an unavailable model; the traceback too for a 500."""
    line = f"{route} {status}: {message[:MAX_LOGGED_MESSAGE]}"
    if status == HTTPStatus.INTERNAL_SERVER_ERROR:
        logger.error(line, exc_info=exc)
    elif status >= 500:
        logger.warning(line)
    else:
        logger.info(line)
