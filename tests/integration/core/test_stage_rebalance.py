"""Two workers of a transactional stage starting together: every record out exactly once.

The regression: a batch whose fetch waited across a rebalance was dropped as stale, but
aiokafka had already moved the new assignment's positions past its records, so they were
skipped for good (the partition stalled, or lost them once newer records came). The
stage now puts a dropped batch's partitions back at their committed offsets. The race
hit 5 of 10 starts with HTML pages (slow batches, the second worker joining
mid-batch), so each test runs several starts; every one must deliver each input once.
"""

from __future__ import annotations

import asyncio
import gzip
import time
from pathlib import Path
from typing import Any

import msgspec
import pytest

from services.core.kafka.admin import ensure_topics
from services.core.models import IngestMeta, RawArticle
from services.core.settings import KafkaSettings, TopicSettings
from services.core.supervisor import ServiceProcess
from services.core.topics import Topics
from services.ingest.requests import to_record
from tests.support.kafka import produce, read_all
from tests.support.system import free_port

pytestmark = pytest.mark.kafka

PAGES = sorted((Path(__file__).resolve().parents[2] / "fixtures" / "e2e" / "fundus").glob("*.html.gz"))
INPUTS = 240
BATCH = 20  # many batches: the second worker joins while the first is mid-stream
ROUNDS = 3
PARTITIONS = 6


class _Ingest(msgspec.Struct):
    id: str


class _Out(msgspec.Struct):
    ingest: _Ingest


def raw_inputs(prefix: str) -> list[tuple[bytes | None, bytes]]:
    pages = [gzip.decompress(p.read_bytes()).decode("utf-8", "replace") for p in PAGES]
    records: list[tuple[bytes | None, bytes]] = []
    for n in range(INPUTS):
        ingest_id = f"{prefix}{n:04d}"
        raw = RawArticle(
            ingest=IngestMeta(id=ingest_id, received_at="2026-11-28T00:00:00Z", source="test"),
            content=pages[n % len(pages)],
            format="html",
            url=f"https://rebalance.example/{prefix}{n}",
        )
        record = to_record(raw)  # as ingest stores it on news.raw
        records.append((record.key, record.value))
    return records


def ingest_ids(values: list[bytes | None]) -> list[str]:
    decoder = msgspec.json.Decoder(_Out)
    return [decoder.decode(v).ingest.id for v in values if v]


def one_start(bootstrap: str, root: Path, prefix: str) -> tuple[list[str], list[str]]:
    """Preload news.raw, start two normalizers at once; (ingest ids out, DLQ values)."""
    topics = Topics(TopicSettings(prefix=prefix, partitions=PARTITIONS))
    kafka = KafkaSettings(bootstrap_servers=bootstrap)
    asyncio.run(ensure_topics(kafka, topics.specs(kafka)))
    asyncio.run(produce(bootstrap, topics.raw, raw_inputs(prefix)))
    env = {
        "NEWSFLOW_KAFKA__BOOTSTRAP_SERVERS": bootstrap,
        "NEWSFLOW_TOPICS__PREFIX": prefix,
        "NEWSFLOW_TOPICS__PARTITIONS": str(PARTITIONS),
        "NEWSFLOW_DATA_DIR": str(root / prefix),
        "NEWSFLOW_BATCH_SIZE": str(BATCH),
    }
    workers = [ServiceProcess("normalizer", env, free_port(), restart=False) for _ in range(2)]
    for worker in workers:
        worker.start()
    try:
        out: list[Any] = []
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            out = asyncio.run(read_all(bootstrap, topics.normalized, idle_s=1.0, timeout_s=30))
            if len(out) >= INPUTS:
                break
            time.sleep(1.0)
        dlq = asyncio.run(read_all(bootstrap, topics.dlq, idle_s=0.5, timeout_s=10))
    finally:
        for worker in workers:
            worker.stop()
    return ingest_ids([r.value for r in out]), [str(r.value) for r in dlq]


def test_two_workers_starting_together_deliver_every_record_once(
    kafka_broker: Any, tmp_path: Path, unique_name: Any
) -> None:
    assert len(PAGES) >= 10, "the e2e fundus fixtures are missing"
    for round_ in range(ROUNDS):
        prefix = unique_name(f"rebal{round_}") + "."
        ids, dlq = one_start(kafka_broker.bootstrap, tmp_path, prefix)
        expected = {f"{prefix}{n:04d}" for n in range(INPUTS)}
        missing = sorted(expected - set(ids))
        doubled = sorted({i for i in ids if ids.count(i) > 1})
        assert not dlq, f"start {round_}: DLQ records {dlq[:2]}"
        assert not missing and not doubled, f"start {round_}: missing {missing[:5]}, doubled {doubled[:5]}"
