"""The model's catalog (languages, speakers) is read once; while the predictor's voices route
gives no answer, requests go on without it instead of each waiting to ask again."""

import asyncio
import http.server
import threading

from tests.isolation import in_a_fresh_python


class _Unavailable(http.server.BaseHTTPRequestHandler):
    hits = 0

    def do_GET(self) -> None:
        type(self).hits += 1
        self.send_response(503)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def check_a_catalog_that_cannot_be_read_is_not_asked_again_at_once() -> None:
    from transformer.predictor_client import PredictorClient

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Unavailable)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    host = f"127.0.0.1:{server.server_address[1]}"

    async def ask() -> None:
        client = PredictorClient(host, "voice", "v2", 5)
        assert await client.voices() is None
        assert await client.voices() is None
        assert await client.voices() is None

    try:
        asyncio.run(ask())
    finally:
        server.shutdown()
    assert _Unavailable.hits == 1, _Unavailable.hits


def test_a_catalog_that_cannot_be_read_is_not_asked_again_at_once():
    in_a_fresh_python(check_a_catalog_that_cannot_be_read_is_not_asked_again_at_once)
