"""The sink's and related worker's groups commit past the deduper's transaction markers.

news.articles is written in transactions, each leaving a marker offset. With faust's own
gap bookkeeping a commit passed one transaction per partition (every 2.8 s), so under a
steady flow the committed offsets fell further and further behind
(services.core.streaming.app, _ReadCommittedConsumer._add_gap). Here 45 articles arrive in
15 transactions of three, 0.3 s apart; a few seconds after the last one is listed,
both groups must have committed everything.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from tests.integration.sink.articles import records, synthetic
from tests.integration.sink.support import SinkCluster, latest_ids
from tests.support.kafka import group_offsets

pytestmark = pytest.mark.kafka
ARTICLES, PER_TRANSACTION = 45, 3  # the `all` view lists 50
COMMITTED_WITHIN_S = 12.0  # faust commits every 2.8 s


@pytest.fixture
def cluster(kafka_broker: Any, tmp_path: Path) -> Iterator[SinkCluster]:
    cluster = SinkCluster(kafka_broker.bootstrap, tmp_path)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


async def produce_in_transactions(
    bootstrap: str, topic: str, items: list[tuple[bytes | None, bytes]]
) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, transactional_id=f"{topic}-writer")
    await producer.start()
    try:
        for n in range(0, len(items), PER_TRANSACTION):  # a marker after each transaction
            async with producer.transaction():
                for key, value in items[n : n + PER_TRANSACTION]:
                    await producer.send(topic, value, key=key)
            await asyncio.sleep(0.3)
    finally:
        await producer.stop()


async def uncommitted(bootstrap: str, group: str, topic: str, partitions: int) -> dict[int, int]:
    """Per partition: records the group has not committed (a partition's last offset is a
    marker, never committed past)."""
    tps = [TopicPartition(topic, p) for p in range(partitions)]
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await consumer.start()
    try:
        ends = await consumer.end_offsets(tps)
    finally:
        await consumer.stop()
    done = await group_offsets(bootstrap, group)
    left = {tp.partition: ends[tp] - 1 - done.get(tp, 0) for tp in tps}
    return {p: n for p, n in left.items() if n > 0}


def test_the_groups_commit_every_transaction_of_news_articles(cluster: SinkCluster) -> None:
    articles = synthetic(ARTICLES)
    asyncio.run(produce_in_transactions(cluster.bootstrap, cluster.topics.articles, records(articles)))
    base = cluster.workers[0].url
    cluster.wait(lambda: {a.id for a in articles} <= set(latest_ids(base)), "every article listed", 120)
    groups = [f"{cluster.prefix}newsflow-{service}" for service in ("sink", "related")]
    topic, partitions = cluster.topics.articles, cluster.partitions
    deadline = time.monotonic() + COMMITTED_WITHIN_S
    behind: dict[str, dict[int, int]] = {}
    while time.monotonic() < deadline:
        behind = {g: asyncio.run(uncommitted(cluster.bootstrap, g, topic, partitions)) for g in groups}
        if not any(behind.values()):
            return
        time.sleep(1.0)
    raise AssertionError(f"uncommitted records per partition after {COMMITTED_WITHIN_S} s: {behind}")
