"""The sink's HTTP server on its own thread: real sockets, real aiohttp, real RocksDB.

What matters: reads are answered while the main thread is busy (the point of the
thread), each key is read on its owner and forwarded there otherwise (same body and
ETag), a missing owner or a moving partition is a 503 with Retry-After, and a local read
goes to the key's own partition DB.
"""

from __future__ import annotations

import threading
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from types import SimpleNamespace

import aiohttp
import httpx
import pytest
from aiohttp import web
from rocksdict import Options, Rdict
from yarl import URL

from services.core.settings import SinkSettings
from services.sink import api
from services.sink.app import build
from services.sink.exceptions import PartitionUnavailable, ServerStartError
from services.sink.server import ReadServer, read_app
from services.sink.tables import SinkTable, hash_partition
from services.sink.web import FORWARDED, SERVED_BY, json_errors
from tests.support.system import free_port

PARTITIONS = 4


class SplitOwners:
    """Owners over a fixed assignment: partition p of every table belongs to urls[p % 2]."""

    def __init__(self, me: URL, urls: list[URL | None]) -> None:
        self.me, self.urls = me, urls
        self.session: aiohttp.ClientSession | None = None

    def owner(self, table: str, key: bytes) -> URL | None:
        return self.urls[hash_partition(key, PARTITIONS) % 2]


def article_on(worker: int) -> bytes:
    """An article id whose partition belongs to worker 0 or 1 under SplitOwners."""
    return next(
        key for n in range(1000) if hash_partition(key := f"a{n:06d}".encode(), PARTITIONS) % 2 == worker
    )


class Worker:
    """One API server on a thread, reading a dict table; `broken` reads raise."""

    def __init__(self, me: URL, owners: list[URL | None], articles: dict[bytes, bytes]) -> None:
        self.owners = SplitOwners(me, owners)
        self.broken = False

        def get(key: bytes) -> bytes | None:
            if self.broken:
                raise PartitionUnavailable("closed")
            return articles.get(key)

        web_app = web.Application(middlewares=[json_errors])
        tables = api.Tables(articles=get, latest=get, stories=get, related=get)
        api.add_routes(web_app, tables, self.owners)
        web_app.cleanup_ctx.append(self._session)
        self.server = ReadServer(web_app, "127.0.0.1", int(me.port or 0))

    async def _session(self, app: web.Application) -> AsyncIterator[None]:
        async with aiohttp.ClientSession() as session:
            self.owners.session = session
            yield


@pytest.fixture
def pair() -> Iterator[tuple[Worker, Worker, dict[bytes, bytes]]]:
    urls = [URL(f"http://127.0.0.1:{free_port()}") for _ in range(2)]
    articles = {article_on(0): b'{"id": "zero"}', article_on(1): b'{"id": "one"}'}
    workers = (Worker(urls[0], list(urls), articles), Worker(urls[1], list(urls), articles))
    for w in workers:
        w.server.start()
    yield workers[0], workers[1], articles
    for w in workers:
        w.server.stop()


def test_a_key_is_read_on_its_owner_and_forwarded_there_from_elsewhere(
    pair: tuple[Worker, Worker, dict],
) -> None:
    first, second, _ = pair
    base = [str(w.owners.me) for w in (first, second)]
    for worker in (0, 1):
        path = f"/v1/articles/{article_on(worker).decode()}"
        answers = [httpx.get(b + path, timeout=5) for b in base]
        assert [a.status_code for a in answers] == [200, 200]
        assert {a.headers[SERVED_BY] for a in answers} == {base[worker]}
        assert (
            answers[0].content == answers[1].content
            and answers[0].headers["ETag"] == answers[1].headers["ETag"]
        )
        other = base[1 - worker]
        revalidated = httpx.get(
            other + path, headers={"If-None-Match": answers[0].headers["ETag"]}, timeout=5
        )
        assert revalidated.status_code == 304


def test_no_owner_or_a_moving_partition_is_a_503_with_retry_after(pair: tuple[Worker, Worker, dict]) -> None:
    first, _, _ = pair
    mine, theirs = article_on(0).decode(), article_on(1).decode()
    # the other worker thinks we own its key (its assignment is newer): never forwarded back
    moved = httpx.get(f"{first.owners.me}/v1/articles/{theirs}", headers={FORWARDED: "x"}, timeout=5)
    assert (
        moved.status_code == 503 and moved.json()["error"] == "rebalancing" and moved.headers["Retry-After"]
    )
    first.broken = True  # the partition DB was closed under the read
    closed = httpx.get(f"{first.owners.me}/v1/articles/{mine}", timeout=5)
    assert closed.status_code == 503 and closed.json()["error"] == "rebalancing"
    first.owners.urls = [None, None]  # no assignment yet
    unassigned = httpx.get(f"{first.owners.me}/v1/articles/{mine}", timeout=5)
    assert unassigned.status_code == 503 and unassigned.json()["error"] == "not_ready"
    # a bad request needs no owner at all
    assert httpx.get(f"{first.owners.me}/v1/articles/{mine}?x=1", timeout=5).status_code == 400


def test_an_unreachable_owner_is_a_503_naming_it() -> None:
    me, gone = URL(f"http://127.0.0.1:{free_port()}"), URL(f"http://127.0.0.1:{free_port()}")
    worker = Worker(me, [gone, gone], {})
    worker.server.start()
    try:
        answer = httpx.get(f"{me}/v1/articles/{article_on(0).decode()}", timeout=10)
    finally:
        worker.server.stop()
    assert answer.status_code == 503 and answer.json()["error"] == "owner_unreachable"
    assert str(gone.port) in answer.json()["detail"]


def test_reads_are_answered_while_the_main_thread_is_busy(tmp_path: Path) -> None:
    """faust's loop runs on the main thread; a read must not wait for its work to end."""
    settings = SinkSettings(data_dir=tmp_path, http={"port": free_port()})  # type: ignore[arg-type]
    app = build(settings).app
    server = ReadServer(read_app(app, settings), "127.0.0.1", settings.http.port)
    server.start()
    answered: list[tuple[int, float]] = []

    def read() -> None:
        response = httpx.get(f"http://127.0.0.1:{settings.http.port}/healthz", timeout=5)
        answered.append((response.status_code, time.monotonic()))

    try:
        client = threading.Thread(target=read)
        busy_until = time.monotonic() + 1.5
        client.start()
        while time.monotonic() < busy_until:  # pure-Python work holding the GIL, as agents do
            sum(range(1000))
        client.join(5)
        base = f"http://127.0.0.1:{settings.http.port}"
        ready = httpx.get(f"{base}/readyz", timeout=5)
        early = [
            httpx.get(f"{base}{path}", timeout=5) for path in ("/router/", "/v1/latest", "/v1/articles/a1")
        ]
    finally:
        server.stop()
    assert answered and answered[0][0] == 200
    assert answered[0][1] < busy_until  # answered during the busy spell, not after it
    assert ready.status_code == 503 and ready.json()["status"] == "starting"  # faust not started
    assert [r.status_code for r in early] == [200, 503, 503] and early[0].json() == {}
    # faust builds these on first access, bound to the asking thread's loop: never from here
    assert getattr(app, "_consumer", None) is None and getattr(app.tables, "_recovery", None) is None


def test_a_port_in_use_fails_the_start_with_a_clear_error() -> None:
    port = free_port()
    first = ReadServer(web.Application(), "127.0.0.1", port)
    first.start()
    try:
        with pytest.raises(ServerStartError, match=str(port)):
            ReadServer(web.Application(), "127.0.0.1", port).start()
    finally:
        first.stop()


def test_read_local_reads_the_keys_own_partition_db(tmp_path: Path) -> None:
    dbs = {p: Rdict(str(tmp_path / f"p{p}"), Options(raw_mode=True)) for p in (0, 1)}
    keys = {
        p: next(k for n in range(100) if hash_partition(k := f"k{n}".encode(), 3) == p) for p in (0, 1, 2)
    }
    for p, db in dbs.items():
        db[keys[p]] = f"v{p}".encode()
    dbs[0][keys[1]] = b"stray"  # a row on the wrong partition is never what a read sees
    table = SimpleNamespace(partitions=3, data=SimpleNamespace(_dbs=dbs))
    read = lambda key: SinkTable.read_local(table, key)  # type: ignore[arg-type]  # noqa: E731
    assert read(keys[0]) == b"v0" and read(keys[1]) == b"v1"
    assert read(keys[2]) is None  # partition 2 holds nothing here
    dbs[1].close()
    with pytest.raises(PartitionUnavailable):
        read(keys[1])
    dbs[0].close()
