"""Kill -9 the sink and start it again: state comes back from the changelogs, answers match.

Twice: once on its own RocksDB dir (local state plus the changelog tail: each partition's
database holds the offset of its last changelog record, checked here), once on an empty
dir, where every table must be rebuilt from its changelog topic alone. Then the related
worker, on an empty dir: its candidate pools come back, so new articles still find the
old ones as related.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka.structs import TopicPartition
from rocksdict import AccessType, Rdict

from tests.integration.sink.articles import records, synthetic
from tests.integration.sink.snapshot import answers
from tests.integration.sink.support import SinkCluster, killable_cluster, latest_ids, settled
from tests.support.kafka import produce

OFFSET_KEY = b"__faust\0offset__"  # where faust's RocksDB store keeps a partition's offset

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
        if data_dir == state_dir:
            assert asyncio.run(persisted_offsets_behind(cluster, state_dir)) == {}
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


async def persisted_offsets_behind(
    cluster: SinkCluster, state_dir: Path
) -> dict[str, tuple[int | None, int]]:
    """Each table partition whose database does not hold its changelog's last offset
    (the sink writes rows itself, not through faust's Table: services.sink.tables)."""
    changelog = {
        name: f"{cluster.prefix}newsflow-sink-{name}-changelog" for name in ("articles", "stories", "related")
    }
    changelog["latest"] = cluster.topics.latest
    dbs = {
        db: TopicPartition(changelog[db.name.rsplit("-", 1)[0]], int(db.stem.rsplit("-", 1)[1]))
        for db in (state_dir / "sink").rglob("*-*.db")
        if db.name.rsplit("-", 1)[0] in changelog
    }
    assert {tp.topic for tp in dbs.values()} == set(changelog.values()), sorted(map(str, dbs))
    consumer = AIOKafkaConsumer(bootstrap_servers=cluster.bootstrap)
    await consumer.start()
    try:
        ends = await consumer.end_offsets(list(dbs.values()))
    finally:
        await consumer.stop()
    behind = {}
    for db, tp in dbs.items():
        store = Rdict(str(db), access_type=AccessType.read_only())
        try:
            stored = store.get(OFFSET_KEY)
        finally:
            store.close()
        persisted = None if stored is None else int(stored)
        if ends[tp] > 0 and persisted != ends[tp] - 1:
            behind[f"{tp.topic}-{tp.partition}"] = (persisted, ends[tp])
    return behind
