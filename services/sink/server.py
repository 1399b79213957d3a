"""The sink's HTTP server, on a thread and event loop of its own.

Why a thread: faust runs the agents on the main event loop, and while articles stream
in, table work keeps that loop busy; reads queued behind it (read p99 ~60 ms under
load with ~6 ms spent in the handler). Here reads, the SSE stream, the page and the ops
routes run on their own loop. The GIL still runs one thread's Python at a time, so the
sink shortens the interpreter's switch interval (5 ms -> SWITCH_INTERVAL_S): a read
waiting for the GIL gets it within ~1 ms of asking instead of 5.

Nothing here writes a table or touches faust's loop, or builds one of faust's lazily
created services (they bind to the loop that builds them): faust state is only read
once the app has started (`is_ready`, `FaustOwners`). Table reads go straight to the
key's partition DB (SinkTable.read_local); which worker owns a key comes from faust's
assignment (`FaustOwners`), and reads for keys held elsewhere are forwarded there with
this loop's own HTTP client (services.sink.web.routed).
"""

from __future__ import annotations

import asyncio
import logging
import sys
import threading
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass

import aiohttp
import faust
from aiohttp import web
from yarl import URL

from services.core.http import add_ops_routes, metrics_middleware
from services.core.kafka.partitioner import hash_partition
from services.core.settings import SinkSettings
from services.core.streaming.web import is_ready
from services.core.topics import Topics
from services.sink import api, openapi
from services.sink.exceptions import ServerStartError
from services.sink.page import add_page
from services.sink.stream import StreamHub
from services.sink.tables import SinkTable
from services.sink.web import json_errors, json_reply, respond

log = logging.getLogger(__name__)

SWITCH_INTERVAL_S = 0.001
START_TIMEOUT_S = 30.0
SHUTDOWN_TIMEOUT_S = 5.0  # open SSE streams are cut after this on shutdown


@dataclass
class FaustOwners:
    """services.sink.web.Owners from faust's assignment (read-only, from any thread)."""

    app: faust.App
    partitions: int
    me: URL
    session: aiohttp.ClientSession | None = None

    def owner(self, table: str, key: bytes) -> URL | None:
        if not self.app.started:  # the router would build faust's assignor on this thread
            return None
        partition = hash_partition(key, self.partitions)
        try:
            hosts = self.app.router.table_metadata(table)
        except (KeyError, AttributeError):  # no assignment yet
            return None
        for host, topics in hosts.items():
            if any(partition in parts for parts in topics.values()):
                return URL(host)
        return None


def read_app(app: faust.App, settings: SinkSettings) -> web.Application:
    """Every HTTP route of the sink: API, SSE stream, OpenAPI, page, /router/, ops."""
    topics = Topics(settings.topics)
    tables: Mapping[str, SinkTable] = app.tables  # type: ignore[assignment]  # sink_table() made them
    owners = FaustOwners(app, settings.topics.partitions, URL(str(app.conf.canonical_url)))
    web_app = web.Application(middlewares=[metrics_middleware, json_errors])
    add_ops_routes(web_app, lambda: is_ready(app))
    api.add_routes(
        web_app,
        api.Tables(
            articles=tables["articles"].read_local,
            latest=tables["latest"].read_local,
            stories=tables["stories"].read_local,
            related=tables["related"].read_local,
        ),
        owners,
    )

    def partitions() -> int | None:
        consumer = getattr(app, "_consumer", None) if app.started else None  # never build it here
        known = consumer.topic_partitions(topics.articles) if consumer is not None else None
        return known or settings.topics.partitions

    hub = StreamHub(settings.kafka, topics.articles, partitions)
    document = json_reply(openapi.spec(), cache="public, max-age=60")

    async def stream(request: web.Request) -> web.StreamResponse:
        return await hub.handle(request, str(owners.me))

    async def spec(request: web.Request) -> web.Response:
        return respond(request, document, str(owners.me))

    async def router(request: web.Request) -> web.Response:
        """Which worker holds which table partitions (faust's /router/ page, kept)."""
        return web.json_response(app.router.tables_metadata() if app.started else {})

    web_app.router.add_get("/v1/stream", stream, name="stream")
    web_app.router.add_get("/openapi.json", spec, name="openapi")
    web_app.router.add_get("/router/", router, name="router")
    add_page(web_app)
    web_app.cleanup_ctx.append(lambda _: _client(owners))
    return web_app


async def _client(owners: FaustOwners) -> AsyncIterator[None]:
    """The forwarding client lives on the serving loop (faust's is bound to the main one)."""
    async with aiohttp.ClientSession() as session:
        owners.session = session
        yield
        owners.session = None


class ReadServer:
    """Serves a web.Application on host:port from a daemon thread with its own loop."""

    def __init__(self, web_app: web.Application, host: str, port: int) -> None:
        self.web_app, self.host, self.port = web_app, host, port
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._started = threading.Event()
        self._error: BaseException | None = None

    def start(self) -> None:
        """Bind and serve; returns once the port is open, raises if it could not be."""
        sys.setswitchinterval(SWITCH_INTERVAL_S)
        self._thread = threading.Thread(target=self._serve, name="sink-http", daemon=True)
        self._thread.start()
        if not self._started.wait(START_TIMEOUT_S):
            raise ServerStartError(f"HTTP server on {self.host}:{self.port} did not start")
        if self._error is not None:
            raise ServerStartError(f"HTTP server on {self.host}:{self.port}: {self._error}") from self._error

    def stop(self) -> None:
        """Close the listener, let requests in flight finish (SSE streams are cut), join."""
        if self._loop is not None and self._stop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._stop.set)
        if self._thread is not None:
            self._thread.join(SHUTDOWN_TIMEOUT_S + 5)

    def _serve(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:  # reported to start(), or logged if it dies later
            self._error = exc
            if self._started.is_set():
                log.exception("sink HTTP server stopped")
        finally:
            self._started.set()

    async def _main(self) -> None:
        self._loop, self._stop = asyncio.get_running_loop(), asyncio.Event()
        runner = web.AppRunner(self.web_app, access_log=None, shutdown_timeout=SHUTDOWN_TIMEOUT_S)
        await runner.setup()
        try:
            await web.TCPSite(runner, self.host, self.port).start()
            log.info("sink HTTP server listening", extra={"host": self.host, "port": self.port})
            self._started.set()
            await self._stop.wait()
        finally:
            await runner.cleanup()
