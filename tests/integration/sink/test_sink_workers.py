"""Two sink workers of one app: any worker answers any key; one leaves, the other takes over.

Each worker owns some partitions of every table. A read for a key another worker owns is
forwarded there (X-Newsflow-Served-By names who read the table), so both workers answer
every request identically, ETag included.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.integration.sink.articles import records, synthetic
from tests.integration.sink.snapshot import answers
from tests.integration.sink.support import SinkCluster, get, latest_ids, settled
from tests.support.kafka import produce

pytestmark = pytest.mark.kafka

ARTICLES = synthetic(30)
IDS = [a.id for a in ARTICLES]
STORIES = ["story-0", "story-3", "a000001"]


def hosts(url: str) -> set[str]:
    try:
        return set(get(f"{url}/router/").json())
    except (httpx.HTTPError, ValueError):
        return set()


@pytest.fixture(scope="module")
def pair(kafka_broker: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SinkCluster]:
    cluster = SinkCluster(
        kafka_broker.bootstrap,
        tmp_path_factory.mktemp("sink-pair"),
        extra_env={"BROKER_SESSION_TIMEOUT": "10", "BROKER_HEARTBEAT_INTERVAL": "1"},
    )
    try:
        first, second = cluster.start(), cluster.start()
        cluster.wait(
            lambda: all(len(hosts(w.url)) == 2 and w.ready() for w in (first, second)),
            "both in the group",
            120,
        )
        asyncio.run(produce(cluster.bootstrap, cluster.topics.articles, records(ARTICLES)))
        cluster.wait(lambda: set(IDS) <= set(latest_ids(first.url)), "articles listed", 120)
        settled(lambda: answers(first.url, IDS, STORIES))  # related lists done
        yield cluster
    finally:
        cluster.stop()


def test_each_worker_owns_some_partitions(pair: SinkCluster) -> None:
    table = get(f"{pair.workers[0].url}/router/").json()
    owned = [sorted(p for parts in topics.values() for p in parts) for topics in table.values()]
    assert len(owned) == 2 and all(owned)


def test_any_worker_answers_any_key_the_same(pair: SinkCluster) -> None:
    one, two = (w.url for w in pair.workers)
    forwarded = 0
    for article_id in IDS:
        for path in (f"/v1/articles/{article_id}", f"/v1/articles/{article_id}/related"):
            a, b = get(one + path), get(two + path)
            assert a.status_code == b.status_code == 200
            assert a.content == b.content and a.headers["etag"] == b.headers["etag"]
            assert a.headers["x-newsflow-served-by"] == b.headers["x-newsflow-served-by"]
            forwarded += a.headers["x-newsflow-served-by"] != one
    assert 0 < forwarded < 2 * len(IDS)  # some keys live on each worker
    for params in ({}, {"topic": "medtop:15000000"}, {"country": "DE"}):
        assert get(one + "/v1/latest", **params).json() == get(two + "/v1/latest", **params).json()
    etag = get(one + "/v1/latest").headers["etag"]
    assert httpx.get(two + "/v1/latest", headers={"If-None-Match": etag}, timeout=10).status_code == 304


def test_when_one_worker_leaves_the_other_answers_everything(pair: SinkCluster) -> None:
    one, two = pair.workers
    before = settled(lambda: answers(one.url, IDS, STORIES))
    assert all(v[0] == 200 for k, v in before.items() if k.startswith(("article", "related")))
    two.stop()  # SIGTERM: leaves the group at once; its partitions move to `one`
    pair.wait(lambda: len(hosts(one.url)) == 1 and one.ready(), "rebalanced onto one worker", 120)
    after = settled(lambda: answers(one.url, IDS, STORIES))
    assert after == before
