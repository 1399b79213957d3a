"""A loopback HTTP server for feed tests: real feed XML and pages from the shipped fixtures.

A thread running http.server, so sync and async tests, the service under test (another
process) and the CLI can all reach it. Routes answer with a body, a status, a redirect,
or slowly; feeds carry an ETag and Last-Modified and answer conditional GETs with 304.
Every request is recorded (path and conditional headers) for assertions.
"""

from __future__ import annotations

import gzip
import hashlib
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

FIXTURES = Path(__file__).parents[1] / "fixtures"
FEEDS = FIXTURES / "feeds"
FUNDUS = FIXTURES / "e2e" / "fundus"
LAST_MODIFIED = "Thu, 02 May 2024 10:00:00 GMT"


@dataclass
class Route:
    status: int = 200
    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    location: str | None = None
    delay_s: float = 0.0
    etag: str | None = None
    last_modified: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Hit:
    path: str
    if_none_match: str | None
    if_modified_since: str | None
    answered: int


class _QuietServer(ThreadingHTTPServer):
    """Clients that hang up (the fetcher's timeouts) are expected, not worth a traceback."""

    daemon_threads = True
    block_on_close = False

    def handle_error(self, request: object, client_address: object) -> None:
        pass


@dataclass
class FeedServer:
    routes: dict[str, Route] = field(default_factory=dict)
    hits: list[Hit] = field(default_factory=list)
    active: int = 0
    max_active: int = 0

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:  # quiet
                pass

            def do_GET(self) -> None:
                server._serve(self)

        self._httpd = _QuietServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def start(self) -> FeedServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    # routes -------------------------------------------------------------------------
    def feed(self, path: str, template: str, content_type: str = "application/rss+xml") -> None:
        body = template.replace("{base}", self.base).encode()
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        self.routes[path] = Route(200, body, content_type, etag=etag, last_modified=LAST_MODIFIED)

    def page(self, path: str, body: bytes, content_type: str = "text/html; charset=utf-8") -> None:
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        self.routes[path] = Route(200, body, content_type, etag=etag)

    def redirect(self, path: str, location: str, status: int = 302) -> None:
        self.routes[path] = Route(status, b"", location=location)

    def status(self, path: str, status: int) -> None:
        self.routes[path] = Route(status, f"status {status}".encode(), "text/plain")

    def slow(self, path: str, delay_s: float, body: bytes = b"<rss/>") -> None:
        self.routes[path] = Route(200, body, "application/rss+xml", delay_s=delay_s)

    def count(self, path: str) -> int:
        with self._lock:
            return sum(1 for hit in self.hits if hit.path == path)

    def answered(self, path: str, status: int) -> int:
        with self._lock:
            return sum(1 for hit in self.hits if hit.path == path and hit.answered == status)

    # serving ------------------------------------------------------------------------
    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        path = handler.path.split("?")[0]
        route = self.routes.get(path, Route(404, b"not found", "text/plain"))
        inm = handler.headers.get("If-None-Match")
        ims = handler.headers.get("If-Modified-Since")
        status = route.status
        if route.etag and (inm == route.etag or (not inm and ims and ims == route.last_modified)):
            status = 304
        with self._lock:
            self.hits.append(Hit(path, inm, ims, status))
            self.active += 1
            self.max_active = max(self.max_active, self.active)
        try:
            if route.delay_s:
                time.sleep(route.delay_s)
            body = b"" if status == 304 else route.body
            handler.send_response(status)
            if route.location:
                handler.send_header("Location", route.location)
            if route.etag:
                handler.send_header("ETag", route.etag)
            if route.last_modified:
                handler.send_header("Last-Modified", route.last_modified)
            if status != 304:
                handler.send_header("Content-Type", route.content_type)
            for name, value in route.headers.items():
                handler.send_header(name, value)
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            handler.wfile.write(body)
        finally:
            with self._lock:
                self.active -= 1


def fundus_page(name: str) -> bytes:
    return gzip.decompress((FUNDUS / f"{name}.html.gz").read_bytes())


def news_site(server: FeedServer) -> FeedServer:
    """The feeds and pages the fixtures describe, plus every failure the tests need."""
    server.feed("/feeds/rss.xml", (FEEDS / "rss.xml").read_text())
    server.feed("/feeds/atom.xml", (FEEDS / "atom.xml").read_text(), "application/atom+xml")
    server.feed("/feeds/malformed.xml", (FEEDS / "malformed.xml").read_text())
    server.status("/feeds/error.xml", 500)
    server.slow("/feeds/slow.xml", 4.0)
    server.redirect("/feeds/loop.xml", "/feeds/loop-b.xml")
    server.redirect("/feeds/loop-b.xml", "/feeds/loop.xml")
    for name in ("uk_EveningStandard_2024_05_02", "us_VoiceOfAmerica_2024_04_28", "de_DW_2024_01_30"):
        server.page(f"/pages/{name}.html", fundus_page(name))
    server.page(
        "/pages/seed-article.txt", (FIXTURES / "seed-article.txt").read_bytes(), "text/plain; charset=utf-8"
    )
    server.redirect("/go/voa", "/pages/us_VoiceOfAmerica_2024_04_28.html")
    server.status("/pages/gone.html", 404)
    server.status("/pages/flaky.html", 500)
    return server
