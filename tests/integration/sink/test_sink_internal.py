"""The internal topics of the sink and the related worker on a real broker: inline or
through Kafka, batches per partition, old messages, garbage.

A worker that owns every partition of an internal topic hands its messages over inline
(services.sink.inline): nothing goes on the topic, and the views, stories and related
lists come out as they do through Kafka (a second pair of workers with
NEWSFLOW_INLINE_FANOUT=false, fed the same). Through Kafka, an article's keys travel as
one message per partition (services.sink.wire). Messages of the earlier per-key format
still in a topic during an upgrade are applied; garbage and a batch on the wrong
partition go to news.dlq and change nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from services.core.codec import encode
from services.core.kafka.partitioner import hash_partition
from services.core.models import ArticleSummary, RelatedItem
from services.related.candidates import Offer
from services.sink.wire import ViewBatch
from tests.integration.sink.conftest import all_ids, feed_cluster
from tests.integration.sink.support import SinkCluster, get, latest_ids, settled
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


SUFFIXES = ("views", "stories", "rel-index", "rel-offers")
SENT_HERE = {b"source:legacy feed", b"legacy-target", b"garbage-index", b"misplaced"}  # by tests below


@pytest.fixture(scope="module")
def through_kafka(kafka_broker: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SinkCluster]:
    """A sink and a related worker that never hand over inline, fed as `sink` is."""
    cluster = SinkCluster(
        kafka_broker.bootstrap,
        tmp_path_factory.mktemp("kafka"),
        extra_env={"NEWSFLOW_INLINE_FANOUT": "false"},
    )
    try:
        cluster.start()
        feed_cluster(cluster)
        yield cluster
    finally:
        cluster.stop()


async def test_one_worker_hands_over_inline_and_puts_nothing_on_internal_topics(
    sink: SinkCluster, fed: dict[str, Any]
) -> None:
    for suffix in SUFFIXES:
        records_on = await read_all(sink.bootstrap, internal(sink, suffix), idle_s=1.0)
        assert [r.key for r in records_on if r.key not in SENT_HERE] == [], suffix
    modes = [line for line in sink.logs if "fan-out mode" in line]
    for app, suffixes in (("sink", SUFFIXES[:2]), ("related", SUFFIXES[2:])):
        inline = [orjson.loads(line.split(" | ", 1)[1])["inline"] for line in modes if line.startswith(app)]
        assert inline and set(inline[-1]) == {internal(sink, s) for s in suffixes}, (app, modes)


def test_inline_serves_what_the_internal_topics_do(
    sink: SinkCluster, fed: dict[str, Any], through_kafka: SinkCluster
) -> None:
    fed_ids = all_ids(fed)  # other modules post more articles to `sink`: compare the feed's

    def answers(cluster: SinkCluster) -> dict[str, Any]:
        base = cluster.workers[0].url
        queries = ({"limit": 200}, {"topic": "medtop:11000000"}, {"country": "AZ"}, {"source": "Reuters"})
        views: dict[str, Any] = {}
        for params in queries:
            listed = get(f"{base}/v1/latest", **params).json()["articles"]
            views[str(params)] = [(a["id"], a["version"]) for a in listed if a["id"] in fed_ids]
        story = get(f"{base}/v1/stories/story-0").json()["articles"]
        views["story-0"] = [a["id"] for a in story if a["id"] in fed_ids]
        # related lists: the story mates; which of the equal-scored others make a top k
        # depends on arrival order, which differs from run to run in either mode
        for article_id in sorted(fed_ids)[:12]:
            related = get(f"{base}/v1/articles/{article_id}/related").json()["related"]
            views[article_id] = sorted(
                r["id"] for r in related if r["reason"] == "story" and r["id"] in fed_ids
            )
        return views

    inline = settled(lambda: answers(sink))
    assert inline["{'limit': 200}"] and inline["story-0"]
    assert any(inline[i] for i in sorted(fed_ids)[:12])
    assert settled(lambda: answers(through_kafka)) == inline


async def test_batches_went_to_the_partition_of_every_key_they_carry(through_kafka: SinkCluster) -> None:
    sink = through_kafka
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


def test_the_tables_rocksdb_memory_is_a_gauge(sink: SinkCluster, fed: dict[str, Any]) -> None:
    """newsflow_rocksdb_memory_bytes {table, kind}, set with the table gauges (every 30 s)."""

    def memtables() -> dict[str, float]:
        text = get(f"{sink.workers[0].url}/metrics").text
        found = {}
        for line in text.splitlines():
            if line.startswith("newsflow_rocksdb_memory_bytes{") and 'kind="memtables"' in line:
                found[line.split('table="')[1].split('"')[0]] = float(line.rsplit(" ", 1)[1])
        return found

    sink.wait(lambda: set(memtables()) == {"articles", "latest", "stories", "related"}, "memory gauges", 45)
    held = memtables()
    assert held["articles"] > 0 and held["latest"] > 0, held  # the fed articles and their views


async def test_the_published_views_are_their_tables_changelogs(
    sink: SinkCluster, fed: dict[str, Any]
) -> None:
    """Each view row the sink writes is its news.latest message and each list the related
    worker writes its news.related message: neither has a `-changelog` of faust's own
    for those tables, and each counts the messages as its output (the restart test
    rebuilds both tables from the published topics alone)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=sink.bootstrap)
    await consumer.start()
    try:
        names = await consumer.topics()
    finally:
        await consumer.stop()
    assert f"{sink.prefix}newsflow-sink-stories-changelog" in names  # faust's own, as before
    assert f"{sink.prefix}newsflow-related-pool-changelog" in names
    assert f"{sink.prefix}newsflow-sink-latest-changelog" not in names
    assert f"{sink.prefix}newsflow-related-related-changelog" not in names
    assert sink.related is not None
    for worker, topic in ((sink.workers[0], sink.topics.latest), (sink.related, sink.topics.related)):
        records = await read_all(sink.bootstrap, topic, idle_s=1.0)
        metrics = get(f"{worker.url}/metrics").text
        counted = [
            float(line.rsplit(" ", 1)[1])
            for line in metrics.splitlines()
            if line.startswith("newsflow_messages_out_total{") and f'topic="{topic}"' in line
        ]
        assert counted and sum(counted) == len(records) > 0, topic
