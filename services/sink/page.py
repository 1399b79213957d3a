"""The web page: static HTML/JS/CSS shipped in the package, served as they are.

No build step and no templating: index.html is a fixed shell and app.js fills it from
the JSON API, inserting article text only as text nodes. The Content-Security-Policy
allows scripts and styles from this origin only, so even a bug that let markup from an
article into the page could not run an inline script or an `onerror=` handler.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import faust
from aiohttp import web

from services.sink.web import etag_of

STATIC = Path(__file__).resolve().parent / "static"
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


def add_page(app: faust.App) -> None:
    """`/` = index.html, `/static/*` = the page's files (aiohttp's static route)."""
    index = (STATIC / "index.html").read_bytes()
    etag = etag_of(index)

    @app.page("/", name="index")
    async def home(self: Any, request: Any) -> Any:
        headers = {"ETag": etag, "Cache-Control": "no-cache", **SECURITY_HEADERS}
        if request.headers.get("If-None-Match") == etag:
            return web.Response(status=304, headers=headers)
        return web.Response(body=index, content_type="text/html", charset="utf-8", headers=headers)

    app.web.add_static("/static", STATIC, append_version=False)
