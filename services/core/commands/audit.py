"""`newsflow audit [--since T]`: read news.raw and the outcome topics, reconcile, print."""

from __future__ import annotations

import asyncio
import sys
from datetime import datetime
from typing import TextIO

import orjson
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.structs import TopicPartition

from services.core.audit import OUTCOME_TOPICS, AuditReport, Seen, reconcile
from services.core.clock import parse_utc
from services.core.kafka.clients import common_kwargs, consumer_kwargs
from services.core.settings import IngestSettings, KafkaSettings
from services.core.topics import RAW, Topics

Rows = list[tuple[int, int, bytes | None, bytes | None]]


async def _partitions(kafka: KafkaSettings, topic: str) -> list[int]:
    admin = AIOKafkaAdminClient(**common_kwargs(kafka))
    await admin.start()
    try:
        described = await admin.describe_topics([topic])
    finally:
        await admin.close()
    return sorted(p["partition"] for d in described if d["error_code"] == 0 for p in d["partitions"])


async def _read(kafka: KafkaSettings, topic: str, since_ms: int | None) -> Rows:
    """Every committed record of `topic` up to its current end (partition, offset, key, value)."""
    tps = [TopicPartition(topic, p) for p in await _partitions(kafka, topic)]
    if not tps:
        return []
    consumer = AIOKafkaConsumer(
        **consumer_kwargs(kafka), enable_auto_commit=False, isolation_level="read_committed"
    )
    await consumer.start()
    try:
        consumer.assign(tps)
        ends = await consumer.end_offsets(tps)
        starts = await consumer.beginning_offsets(tps)
        if since_ms is not None:
            found = await consumer.offsets_for_times({tp: since_ms for tp in tps})
            starts = {tp: found[tp].offset if found.get(tp) else ends[tp] for tp in tps}
        for tp in tps:
            consumer.seek(tp, starts[tp])
        out: Rows = []
        pending = {tp for tp in tps if starts[tp] < ends[tp]}
        while pending:
            batch = await consumer.getmany(*pending, timeout_ms=1000)
            for tp, messages in batch.items():
                out += [(tp.partition, m.offset, m.key, m.value) for m in messages if m.offset < ends[tp]]
            pending = {tp for tp in pending if await consumer.position(tp) < ends[tp]}
        return out
    finally:
        await consumer.stop()


def _ingest_id(value: bytes | None) -> str | None:
    try:
        message = orjson.loads(value or b"")
    except orjson.JSONDecodeError:
        return None
    if not isinstance(message, dict):
        return None
    ingest = message.get("ingest")
    if isinstance(ingest, dict) and isinstance(ingest.get("id"), str):
        return str(ingest["id"])
    return message.get("ingest_id") if isinstance(message.get("ingest_id"), str) else None


async def audit(kafka: KafkaSettings, topics: Topics, since: datetime | None) -> AuditReport:
    since_ms = int(since.timestamp() * 1000) if since else None
    raw_topic = topics.raw
    raw = await _read(kafka, raw_topic, since_ms)
    accepted = [(_ingest_id(v), (RAW, p, o)) for p, o, _k, v in raw]
    outputs: list[Seen] = []
    for base in OUTCOME_TOPICS:
        for _p, _o, _k, value in await _read(kafka, topics.name(base), since_ms):
            origin = None
            if base == "news.dlq":
                record = orjson.loads(value or b"{}")
                if record.get("topic") == raw_topic:
                    origin = (RAW, record.get("partition"), record.get("offset"))
            outputs.append(Seen(base, _ingest_id(value), origin))
    return reconcile(accepted, outputs)


def run_audit(since: str | None, out: TextIO = sys.stdout) -> int:
    settings = IngestSettings()
    report = asyncio.run(audit(settings.kafka, Topics(settings.topics), parse_utc(since) if since else None))
    out.write(report.format() + "\n")
    return 0 if report.clean else 1
