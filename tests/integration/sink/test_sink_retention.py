"""Retention on the real broker: entries older than the window are deleted, and stay
deleted when a worker rebuilds its tables from the changelogs (tombstones, not local
deletes)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import msgspec
import pytest

from services.core.models import Article
from tests.integration.sink.articles import records, synthetic
from tests.integration.sink.support import SinkCluster, get, killable_cluster, latest_ids
from tests.support.kafka import produce

pytestmark = pytest.mark.kafka

OLD = synthetic(12)  # received in March 2026: far outside a 7-day window
NOW = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _fresh(article: Article) -> Article:
    """The same kind of article, received now (inside the window)."""
    ingest = msgspec.structs.replace(article.ingest, received_at=NOW, id=f"{article.ingest.id}-fresh")
    return msgspec.structs.replace(article, id=f"fresh-{article.id}", ingest=ingest)


FRESH = [_fresh(a) for a in synthetic(6, start=12)]
SWEEP = {"NEWSFLOW_RETENTION_DAYS": "7", "NEWSFLOW_SWEEP_INTERVAL_S": "2"}


@pytest.fixture(scope="module")
def cluster(kafka_broker: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SinkCluster]:
    with killable_cluster(kafka_broker.bootstrap, tmp_path_factory.mktemp("sink-retention")) as sink:
        yield sink


def status(base: str, path: str) -> int:
    return get(f"{base}{path}").status_code


def test_old_entries_are_deleted_and_stay_deleted_after_a_rebuild(cluster: SinkCluster) -> None:
    state = cluster.root / "state"
    worker = cluster.start(data_dir=state)  # retention off while the feed settles
    asyncio.run(produce(cluster.bootstrap, cluster.topics.articles, records(OLD + FRESH)))
    everyone = {a.id for a in OLD + FRESH}
    cluster.wait(lambda: everyone <= set(latest_ids(worker.url)), "all articles listed", 120)
    old_story = next(a.dedupe.story_id for a in OLD if a.dedupe and a.dedupe.story_id)
    assert status(worker.url, f"/v1/articles/{OLD[0].id}") == 200
    assert status(worker.url, f"/v1/stories/{old_story}") == 200

    worker.stop()
    cluster.extra_env.update(SWEEP)
    worker = cluster.start(data_dir=state, port=worker.port)
    cluster.wait(
        lambda: all(status(worker.url, f"/v1/articles/{a.id}") == 404 for a in OLD),
        "old articles deleted by retention",
        90,
    )
    assert all(status(worker.url, f"/v1/articles/{a.id}") == 200 for a in FRESH)
    cluster.wait(lambda: status(worker.url, f"/v1/stories/{old_story}") == 404, "old story deleted", 30)
    metrics = get(f"{worker.url}/metrics").text
    assert 'newsflow_state_evicted_total{table="articles"}' in metrics

    worker.kill()  # rebuild every table from its changelog alone
    worker = cluster.start(data_dir=cluster.root / "empty", port=worker.port)
    assert all(status(worker.url, f"/v1/articles/{a.id}") == 404 for a in OLD)
    assert all(status(worker.url, f"/v1/articles/{a.id}") == 200 for a in FRESH)
