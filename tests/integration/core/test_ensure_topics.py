"""ensure_topics returns only once every topic is in the broker's metadata: a consumer
group joined right after must see the real partition count (the sink's tables failed
with PartitionsMismatch when its changelogs were still missing at join time)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer

from services.core.kafka.admin import TopicCreationError, ensure_topics
from services.core.settings import KafkaSettings
from services.core.topics import TopicSpec

pytestmark = pytest.mark.kafka


async def test_topics_are_visible_with_all_partitions_when_ensure_topics_returns(
    kafka_broker: Any, unique_name: Callable[[str], str]
) -> None:
    kafka = KafkaSettings(bootstrap_servers=kafka_broker.bootstrap)
    specs = [TopicSpec(unique_name("visible"), n, 1, {}) for n in (1, 3, 6, 6, 6)]
    created = await ensure_topics(kafka, specs)
    assert created == [s.name for s in specs]
    consumer = AIOKafkaConsumer(bootstrap_servers=kafka_broker.bootstrap)
    await consumer.start()
    try:
        cluster = await consumer._client.fetch_all_metadata()
        assert {s.name: len(cluster.partitions_for_topic(s.name) or ()) for s in specs} == {
            s.name: s.partitions for s in specs
        }
    finally:
        await consumer.stop()
    assert await ensure_topics(kafka, specs) == []  # existing topics: nothing created, no wait


async def test_a_state_topic_with_another_partition_count_is_refused(
    kafka_broker: Any, unique_name: Callable[[str], str]
) -> None:
    """Keys are placed by hash % partitions: a changelog or repartition topic created with
    another count would silently split a key's state, so starting must fail, clearly."""
    kafka = KafkaSettings(bootstrap_servers=kafka_broker.bootstrap)
    name = unique_name("state")
    await ensure_topics(kafka, [TopicSpec(name, 3, 1, {})])
    assert await ensure_topics(kafka, [TopicSpec(name, 6, 1, {})]) == []  # contract topic: tolerated
    with pytest.raises(TopicCreationError, match=r"has 3 partitions .* is 6"):
        await ensure_topics(kafka, [TopicSpec(name, 6, 1, {}, exact=True)])
