"""Producer and consumer settings the services share (services.core.kafka.clients)."""

from __future__ import annotations

from services.core.kafka.clients import MAX_BATCH_BYTES, consumer_kwargs, producer_kwargs
from services.core.settings import KafkaSettings


def test_producers_batch_a_mebibyte_per_partition() -> None:
    # aiokafka's default (16 KB) made sends wait a produce round trip per 16 KB per partition
    assert producer_kwargs(KafkaSettings())["max_batch_size"] == MAX_BATCH_BYTES == 1 << 20


def test_a_batch_is_never_larger_than_a_record_may_be() -> None:
    kwargs = producer_kwargs(KafkaSettings(max_message_bytes=256 * 1024))
    assert kwargs["max_batch_size"] == 256 * 1024 == kwargs["max_request_size"]


def test_consumers_hold_an_empty_fetch_as_long_as_the_settings_say() -> None:
    # one fetch in flight per broker: records for a partition left out of it wait this long
    assert consumer_kwargs(KafkaSettings())["fetch_max_wait_ms"] == 100
    assert consumer_kwargs(KafkaSettings(fetch_max_wait_ms=40))["fetch_max_wait_ms"] == 40
