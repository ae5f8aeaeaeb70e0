"""One ASGI middleware in front of each server's REST app: API key, body size, disconnects.

- With an API key configured, every path but health, readiness and `/metrics` needs
  `Authorization: Bearer KEY`, else 401.
- A body over its path's limit is a 413 before it is parsed: Content-Length is checked first,
  and the streamed body is counted too (a chunked upload has no Content-Length).
- A client that disconnects cancels its request: the route's task is cancelled, which reaches
  the predictor call in the transformer and the synthesis queue in the predictor.
"""

import asyncio
import json
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from dataclasses import dataclass, field
from typing import Any

from voxraga.auth import bearer_matches, is_open_path
from voxraga.error_log import log_error

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


@dataclass(frozen=True)
class BodyLimits:
    """The largest request body each path accepts, in bytes."""

    default: int
    """For every path no prefix below names."""
    by_prefix: Mapping[str, int] = field(default_factory=dict)
    """Path prefix to limit; the longest matching prefix wins."""

    def for_path(self, path: str) -> int:
        """The limit for `path`."""
        matches = [prefix for prefix in self.by_prefix if path.startswith(prefix)]
        return self.by_prefix[max(matches, key=len)] if matches else self.default


class RequestGuard:
    """The middleware; `api_key` None turns authentication off."""

    def __init__(self, app: ASGIApp, *, api_key: str | None, body_limits: BodyLimits) -> None:
        self.app = app
        self.api_key = api_key
        self.body_limits = body_limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await self._websocket(scope, receive, send)
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        route = f"{scope['method']} {scope['path']}"
        headers = _headers(scope)
        if (
            self.api_key is not None
            and not is_open_path(scope["path"])
            and not bearer_matches(headers.get("authorization"), self.api_key)
        ):
            await _answer(
                send,
                route,
                401,
                "missing or wrong API key; send 'Authorization: Bearer <key>'",
                {"www-authenticate": "Bearer"},
            )
            return
        limit = self.body_limits.for_path(scope["path"])
        declared = headers.get("content-length", "")
        if declared.isascii() and declared.strip().isdigit() and int(declared) > limit:
            await _answer(send, route, 413, _too_large(declared + " bytes", limit))
            return
        await _Exchange(self.app, scope, receive, send, limit, route).run()

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        """A WebSocket needs the key in its handshake's `Authorization` header; without it the
        handshake is refused (HTTP 403) before the route sees it."""
        authorization = _headers(scope).get("authorization")
        if self.api_key is not None and not bearer_matches(authorization, self.api_key):
            log_error(f"WEBSOCKET {scope['path']}", 403, "missing or wrong API key")
            await send({"type": "websocket.close", "code": 1008})
            return
        await self.app(scope, receive, send)


class _Exchange:
    """One request: the app runs as a task fed by a pump that counts the body and notices a
    disconnect, so that either can stop the app."""

    def __init__(
        self, app: ASGIApp, scope: Scope, receive: Receive, send: Send, limit: int, route: str
    ) -> None:
        self.app, self.scope, self.receive, self.send = app, scope, receive, send
        self.limit, self.route = limit, route
        self.messages: asyncio.Queue[Message] = asyncio.Queue()
        self.response_started = False
        self.response_complete = False
        self.too_large = False

    async def _send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.response_started = True
        elif message["type"] == "http.response.body" and not message.get("more_body", False):
            self.response_complete = True
        await self.send(message)

    async def _pump(self, app_task: asyncio.Task) -> None:
        received = 0
        while True:
            message = await self.receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    self.too_large = True
                    app_task.cancel()
                    return
            await self.messages.put(message)
            if message["type"] == "http.disconnect":
                # Once the response is out, uvicorn reports a disconnect to every receive():
                # the app is finishing (a streamed response's task group, background tasks).
                if not self.response_complete:
                    app_task.cancel()
                return

    async def run(self) -> None:
        app_task = asyncio.ensure_future(self.app(self.scope, self.messages.get, self._send))
        pump = asyncio.ensure_future(self._pump(app_task))
        try:
            await app_task
        except asyncio.CancelledError:
            if asyncio.current_task().cancelling():
                raise
            if self.too_large and not self.response_started:
                await _answer(self.send, self.route, 413, _too_large("more", self.limit))
            elif not self.too_large:
                log_error(self.route, 499, "the client went away; its work was stopped")
        finally:
            pump.cancel()


_OPENAI_TYPES = {401: "authentication_error", 413: "invalid_request_error"}


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}


def _too_large(size: str, limit: int) -> str:
    return f"the request body is {size}; at most {limit} bytes are allowed on this route"


async def _answer(
    send: Send, route: str, status: int, message: str, headers: Mapping[str, str] | None = None
) -> None:
    log_error(route, status, message)
    path = route.split(" ", 1)[1]
    # The OpenAI-style routes answer in OpenAI's error shape, which its SDKs read.
    error: object = {"message": message, "type": _OPENAI_TYPES.get(status, "invalid_request_error")}
    body = json.dumps({"error": error if path.startswith("/v1/") else message}).encode()
    raw_headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
    raw_headers += [(k.encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": body})
