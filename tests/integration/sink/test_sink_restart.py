"""Kill -9 the sink and start it again: state comes back from the changelogs, answers match.

Twice: once on its own RocksDB dir (local state plus the changelog tail), once on an empty
dir, where every table must be rebuilt from its changelog topic alone. Then the related
worker, on an empty dir: its candidate pools come back, so new articles still find the
old ones as related.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from tests.integration.sink.articles import records, synthetic
from tests.integration.sink.snapshot import answers
from tests.integration.sink.support import SinkCluster, killable_cluster, latest_ids, settled
from tests.support.kafka import produce

pytestmark = pytest.mark.kafka

ARTICLES = synthetic(30)
IDS = [a.id for a in ARTICLES]
STORIES = ["story-0", "story-3", "a000001"]


@pytest.fixture(scope="module")
def cluster(kafka_broker: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SinkCluster]:
    with killable_cluster(kafka_broker.bootstrap, tmp_path_factory.mktemp("sink-restart")) as sink:
        yield sink


def test_state_survives_kill_and_restart(cluster: SinkCluster) -> None:
    state_dir = cluster.root / "state"
    worker = cluster.start(data_dir=state_dir)
    asyncio.run(produce(cluster.bootstrap, cluster.topics.articles, records(ARTICLES)))
    cluster.wait(lambda: set(IDS) <= set(latest_ids(worker.url)), "articles listed", 120)
    before = settled(lambda: answers(worker.url, IDS, STORIES))
    assert all(v[0] == 200 for k, v in before.items() if k.startswith(("article", "related")))
    assert all(v[1] for k, v in before.items() if k.startswith("related"))

    url = worker.url
    for data_dir in (state_dir, cluster.root / "empty"):
        worker.kill()  # SIGKILL: no clean shutdown, no last commit
        worker = cluster.start(data_dir=data_dir, port=worker.port)  # same port, same URL
        after = settled(lambda: answers(url, IDS, STORIES))
        assert after == before, f"answers differ after restart on {data_dir.name}"

    related = cluster.related
    assert related is not None
    related.kill()
    cluster.related = cluster.start_related(cluster.root / "related-empty", related.port)
    later = synthetic(6, start=len(ARTICLES))
    asyncio.run(produce(cluster.bootstrap, cluster.topics.articles, records(later)))
    new_ids = [a.id for a in later]
    cluster.wait(lambda: set(new_ids) <= set(latest_ids(url)), "new articles listed", 120)
    lists = settled(lambda: answers(url, new_ids, []))
    found = {r["id"] for i in new_ids for r in lists[f"related {i}"][1]}
    assert found & set(IDS), f"new articles are related to none of the old ones: {lists}"
