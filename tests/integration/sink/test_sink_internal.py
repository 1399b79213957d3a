"""The internal topics of the sink and the related worker on a real broker: batches per
partition, old messages, garbage.

An article's keys travel as one message per partition (services.sink.wire). Messages
of the earlier per-key format still in a topic during an upgrade are applied; garbage
and a batch on the wrong partition go to news.dlq and change nothing.
"""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from aiokafka import AIOKafkaProducer

from services.core.codec import encode
from services.core.kafka.partitioner import hash_partition
from services.core.models import ArticleSummary, RelatedItem
from services.related.candidates import Offer
from services.sink.wire import ViewBatch
from tests.integration.sink.support import SinkCluster, get, latest_ids
from tests.support.kafka import read_all, wait_for

pytestmark = pytest.mark.kafka


def internal(sink: SinkCluster, suffix: str) -> str:
    """`<app id>-<suffix>`: views and stories are the sink's, rel-* the related worker's."""
    app = "related" if suffix.startswith("rel-") else "sink"
    return f"{sink.prefix}newsflow-{app}-{suffix}"


async def send(
    sink: SinkCluster, topic: str, key: bytes | None, value: bytes, partition: int | None = None
) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=sink.bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait(topic, value, key=key, partition=partition)
    finally:
        await producer.stop()


async def test_batches_went_to_the_partition_of_every_key_they_carry(
    sink: SinkCluster, fed: dict[str, Any]
) -> None:
    on_topic = {
        suffix: await read_all(sink.bootstrap, internal(sink, suffix), idle_s=1.5)
        for suffix in ("views", "rel-index", "rel-offers")
    }

    def batches(suffix: str, field: str) -> list[tuple[int, list[Any]]]:
        """(partition, the batch's list) of every batch-format message on the topic."""
        values = [(r.partition, orjson.loads(r.value or b"")) for r in on_topic[suffix]]
        return [(p, v[field]) for p, v in values if isinstance(v, dict) and field in v]

    views, index = batches("views", "views"), batches("rel-index", "keys")
    offers = [(p, [o["target"] for o in offers]) for p, offers in batches("rel-offers", "offers")]
    for name, found in (("views", views), ("index", index), ("offers", offers)):
        assert found, name
        assert sum(len(keys) for _, keys in found) > len(found), f"{name}: one message per key"
        for partition, keys in found:
            assert {hash_partition(k.encode(), sink.partitions) for k in keys} == {partition}, name


async def test_single_key_messages_of_earlier_versions_are_applied(
    sink: SinkCluster, fed: dict[str, Any]
) -> None:
    summary = ArticleSummary(
        id="legacy-1", title="Old format", source="Legacy Feed", published_at="2026-03-01T09:00:00Z"
    )
    await send(sink, internal(sink, "views"), b"source:legacy feed", encode(summary))
    offer = Offer(
        target="legacy-target", version=1, items=[RelatedItem(id="a000001", score=0.5, reason="text")]
    )
    await send(sink, internal(sink, "rel-offers"), b"legacy-target", encode(offer))
    base = sink.workers[0].url
    sink.wait(lambda: latest_ids(base, source="Legacy Feed") == ["legacy-1"], "old view message applied")
    sink.wait(
        lambda: (
            [r["id"] for r in get(f"{base}/v1/articles/legacy-target/related").json()["related"]]
            == ["a000001"]
        ),
        "old offer message applied",
    )


async def test_garbage_and_misplaced_batches_go_to_the_dlq(sink: SinkCluster, fed: dict[str, Any]) -> None:
    base = sink.workers[0].url
    before = get(f"{base}/v1/latest", limit=200).json()["articles"]
    await send(sink, internal(sink, "rel-index"), b"garbage-index", b'{"keys": "kw:x", "features": 1}')
    home = hash_partition(b"all", sink.partitions)
    wrong = ViewBatch(
        views=["all"], summary=ArticleSummary(id="misplaced", published_at="2030-01-01T00:00:00Z")
    )
    await send(sink, internal(sink, "views"), b"misplaced", encode(wrong), (home + 1) % sink.partitions)
    keys = {b"garbage-index", b"misplaced"}
    dlq = await wait_for(sink.bootstrap, sink.topics.dlq, lambda rs: keys <= {r.key for r in rs})
    errors = {r.key: orjson.loads(r.value or b"") for r in dlq if r.key in keys}
    assert errors[b"garbage-index"]["stage"] == "related" and errors[b"misplaced"]["stage"] == "sink"
    assert errors[b"garbage-index"]["error"]["type"] == "schema"
    assert errors[b"misplaced"]["error"]["type"] == "wrong_partition"
    assert get(f"{base}/v1/latest", limit=200).json()["articles"] == before
