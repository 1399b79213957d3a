"""aiokafka keyword arguments derived from KafkaSettings (security, sizes, compression)."""

from __future__ import annotations

import ssl
from typing import Any

from services.core.kafka.partitioner import default_partitioner
from services.core.settings import KafkaSettings


def ssl_context(settings: KafkaSettings) -> ssl.SSLContext | None:
    if settings.security_protocol not in ("SSL", "SASL_SSL"):
        return None
    context = ssl.create_default_context(cafile=str(settings.ssl_cafile) if settings.ssl_cafile else None)
    if settings.ssl_certfile:
        context.load_cert_chain(
            str(settings.ssl_certfile),
            str(settings.ssl_keyfile) if settings.ssl_keyfile else None,
        )
    return context


def common_kwargs(settings: KafkaSettings) -> dict[str, Any]:
    """Connection and security options every aiokafka client takes."""
    kwargs: dict[str, Any] = {
        "bootstrap_servers": settings.bootstrap_servers,
        "security_protocol": settings.security_protocol,
        "request_timeout_ms": settings.request_timeout_ms,
    }
    if settings.sasl_mechanism:
        kwargs["sasl_mechanism"] = settings.sasl_mechanism
        kwargs["sasl_plain_username"] = settings.sasl_username
        kwargs["sasl_plain_password"] = (
            settings.sasl_password.get_secret_value() if settings.sasl_password else None
        )
    context = ssl_context(settings)
    if context is not None:
        kwargs["ssl_context"] = context
    return kwargs


# Bytes a producer collects per partition before that partition's batch must go. aiokafka
# keeps one open batch per partition, and a send into a full one waits until the sender
# has shipped it, one produce request in flight per broker: at its default of 16 KB the
# deduper's changelog writes (~1,000 records per transaction) waited a round trip per
# 16 KB. make bench, text, 1,200 articles at saturation: 76-80 -> 109 articles/s end to
# end, deduper transactions 119 -> 87 ms (changelog sends 59 -> 13 ms). 1 MiB still fits a
# topic with Kafka's default max.message.bytes (1,048,588), should one exist.
MAX_BATCH_BYTES = 1 << 20


def producer_batch_bytes(settings: KafkaSettings) -> int:
    """A producer's per-partition batch: MAX_BATCH_BYTES, never more than a record may be."""
    return min(MAX_BATCH_BYTES, settings.max_message_bytes)


def producer_kwargs(settings: KafkaSettings) -> dict[str, Any]:
    """Durable producer: acks from all in-sync replicas, idempotent, compressed.

    The partitioner is aiokafka's default one on a faster murmur2: same partition for
    every key (so state layout is unchanged), less CPU per keyed send.
    """
    return common_kwargs(settings) | {
        "partitioner": default_partitioner,
        "acks": "all",
        "enable_idempotence": True,
        "compression_type": None if settings.compression == "none" else settings.compression,
        "max_request_size": settings.max_message_bytes,
        "max_batch_size": producer_batch_bytes(settings),
        "linger_ms": 5,
    }


# What one fetch may bring per partition and in all. Not a cap on record size: the broker
# returns a partition's first batch whole however large it is (KIP-74), so a record of up
# to max_message_bytes still comes through (tests/integration/kafka/test_broker.py). Why
# not Kafka's 16 MB: the consumer keeps what it fetched in memory until the stage takes
# it. make bench, HTML, 1,000 pages, one run each (partition / total MB -> normalizer
# peak RSS, broker CPU s): 16/50 -> 471 MB, 15.5 s; 4/16 -> 363 MB, 18.3 s; 1/8 -> 327 MB,
# 22.9 s. Smaller fetches cost the broker more requests; 4/16 is the middle.
FETCH_PARTITION_BYTES = 4 << 20
FETCH_TOTAL_BYTES = 16 << 20


def consumer_kwargs(settings: KafkaSettings) -> dict[str, Any]:
    return common_kwargs(settings) | {
        "max_partition_fetch_bytes": FETCH_PARTITION_BYTES,
        "fetch_max_bytes": FETCH_TOTAL_BYTES,
        "fetch_max_wait_ms": settings.fetch_max_wait_ms,
    }
