"""The playground: a static page to try the transformer in a browser, at `/playground`, and at
`/` for a browser (whose Accept header prefers HTML) while every other client still gets
KServe's liveness answer there.

The page is HTML, JavaScript and CSS from `transformer/playground/`, read once at start; it
calls the public routes (voices, speech, captions, the WebSocket) like any other client, with
the key a person types in. Its Content-Security-Policy allows nothing but this origin: no
inline script or style, no other host.
"""

import re
from importlib import resources

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse, Response
from kserve.protocol.dataplane import DataPlane

PAGE_PATH = "/playground"
PAGE = "index.html"
ASSET_TYPES = {
    "app.js": "text/javascript; charset=utf-8",
    "style.css": "text/css; charset=utf-8",
    "icon.svg": "image/svg+xml",
}
"""The files the page loads, by name under PAGE_PATH; nothing else is served from there."""
_HOST = re.compile(r"[A-Za-z0-9.\-]+(:\d{1,5})?|\[[0-9A-Fa-f:.]+\](:\d{1,5})?")
"""A Host header that may be named in the policy (a name or an IP address, and a port)."""
_COMMON_HEADERS = {"X-Content-Type-Options": "nosniff", "Cache-Control": "no-cache"}


def content_security_policy(host: str | None) -> str:
    """The page's policy: this origin only. `connect-src` names the WebSocket's own origin
    (ws: and wss:) where the Host header allows, as 'self' covers ws: only in CSP Level 3."""
    sockets = f" ws://{host} wss://{host}" if host and _HOST.fullmatch(host) else ""
    return (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
        f"media-src 'self' blob:; connect-src 'self'{sockets}; base-uri 'none'; "
        "form-action 'none'; frame-ancestors 'none'"
    )


def prefers_html(accept: str) -> bool:
    """Whether an Accept header asks for HTML before JSON: a browser's navigation
    (`text/html,...,*/*;q=0.8`) does, `*/*` (curl, httpx, the kubelet) and JSON do not."""
    html = json = 0.0
    for item in accept.split(","):
        media, *params = (part.strip() for part in item.split(";"))
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        media = media.lower()
        if media == "text/html":
            html = max(html, quality)
        elif media in ("application/json", "application/*", "*/*"):
            json = max(json, quality)
    return html > 0 and html >= json


def _read(name: str) -> bytes:
    return (resources.files("transformer") / "playground" / name).read_bytes()


def playground_router() -> APIRouter:
    """The page, its files, and `/` by Accept header. Include it before KServe registers its
    own `/`, so that this one answers first."""
    router = APIRouter(include_in_schema=False)
    page = _read(PAGE)
    assets = {name: _read(name) for name in ASSET_TYPES}

    def page_response(request: Request, vary: bool = False) -> Response:
        headers = {
            **_COMMON_HEADERS,
            "Content-Security-Policy": content_security_policy(request.headers.get("host")),
            "Referrer-Policy": "no-referrer",
        }
        if vary:
            headers["Vary"] = "Accept"
        return Response(page, media_type="text/html; charset=utf-8", headers=headers)

    @router.get(PAGE_PATH)
    async def playground(request: Request) -> Response:
        return page_response(request)

    @router.get(PAGE_PATH + "/{name}")
    async def playground_file(name: str) -> Response:
        if name not in assets:
            raise HTTPException(404, f"no playground file '{name:.64}'")
        return Response(assets[name], media_type=ASSET_TYPES[name], headers=_COMMON_HEADERS)

    @router.get("/")
    async def root(request: Request) -> Response:
        if prefers_html(request.headers.get("accept", "")):
            return page_response(request, vary=True)
        return JSONResponse(await DataPlane.live(), headers={"Vary": "Accept"})

    return router
