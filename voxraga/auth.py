"""API keys: where the key comes from, and the one check both servers make with it."""

import hmac
import os
from pathlib import Path

API_KEY_ENV = "VOX_API_KEY"
OPEN_PATHS = frozenset(("/", "/metrics", "/v2/health/live", "/v2/health/ready"))
"""REST paths that answer without a key: liveness, readiness and metrics for the kubelet and
Prometheus. A model's own readiness (`/v2/models/{name}/ready`) is open too."""
PLAYGROUND_PATH = "/playground"
"""The transformer's playground page and its static files (`/playground/app.js`...): a browser
cannot send a key to open a page, and the page holds nothing secret; it sends the key a person
types on its own API calls."""
OPEN_GRPC_METHODS = frozenset(
    (
        "/inference.GRPCInferenceService/ServerLive",
        "/inference.GRPCInferenceService/ServerReady",
        "/inference.GRPCInferenceService/ModelReady",
    )
)


class ApiKeyError(ValueError):
    """The configured key cannot be used; the message says why."""


def load_api_key(path: str | None) -> str | None:
    """The key from `--api_key_file` (its first line), else from VOX_API_KEY, else None (off)."""
    if path:
        try:
            lines = Path(path).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise ApiKeyError(f"--api_key_file {path}: cannot read the key: {exc}") from exc
        return _checked(lines[0].strip() if lines else "", f"--api_key_file {path}")
    key = os.environ.get(API_KEY_ENV, "").strip()
    return _checked(key, API_KEY_ENV) if key else None


def _checked(key: str, source: str) -> str:
    # HTTP headers carry printable ASCII: any other key could never match.
    if not key:
        raise ApiKeyError(f"{source}: the key is empty")
    if not (key.isascii() and key.isprintable() and " " not in key):
        raise ApiKeyError(f"{source}: the key must be printable ASCII without spaces")
    return key


def is_open_path(path: str) -> bool:
    """Whether a REST path answers without a key."""
    return (
        path in OPEN_PATHS
        or path == PLAYGROUND_PATH
        or path.startswith(PLAYGROUND_PATH + "/")
        or (path.startswith("/v2/models/") and path.endswith("/ready"))
    )


def bearer_matches(authorization: str | None, api_key: str) -> bool:
    """Whether an `Authorization` value is `Bearer <api_key>`, compared in constant time."""
    if not authorization:
        return False
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(token.strip().encode(), api_key.encode())
