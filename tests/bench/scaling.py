"""Scaling out a stateless stage: normalizer throughput with 1 worker, then with 2 (`make bench`).

Issue 9 asks to show that a second normalizer worker raises normalizer throughput where
CPU allows. Per run: a fresh topic prefix, --count raw articles (HTML pages from
../shared/corpora/fundus, cycled and made distinct, or Reuters text dumps) put on
news.raw (--partitions partitions) as ingest stores them, then N normalizer workers of
one consumer group started together (topics created up front). The rate is read off news.normalized's end offsets
(sampled every 0.25 s) between 10 % and 90 % of the outputs, so start-up and the group's
first rebalance are not counted. Also printed: each worker's CPU seconds and the
machine's load. Figures are printed, never asserted: on 2 cores the broker and the
second worker share the CPUs, so ~1.5-1.9x is what "where CPU allows" can look like.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition

from services.core.clock import utc_iso
from services.core.kafka.admin import ensure_topics
from services.core.models import IngestMeta, RawArticle
from services.core.settings import KafkaSettings, NormalizerSettings
from services.core.supervisor import ServiceProcess
from services.core.topics import Topics
from services.ingest.requests import to_record
from tests.bench.procstats import cpu_seconds
from tests.bench.workloads import DEFAULT_CORPORA, workload
from tests.support.kafka import produce
from tests.support.system import free_port


def raw_records(items: list[dict[str, str]], tag: str) -> list[tuple[bytes | None, bytes]]:
    """news.raw records as ingest writes them (key = ingest id, value = RawArticle)."""
    now = utc_iso()
    records: list[tuple[bytes | None, bytes]] = []
    for n, item in enumerate(items):
        ingest_id = f"{tag}-{n:06d}"
        raw = RawArticle(
            ingest=IngestMeta(id=ingest_id, received_at=now, source="bench"),
            content=item["content"],
            format=item["format"],  # type: ignore[arg-type]
            source=item.get("source"),
        )
        record = to_record(raw)
        records.append((record.key, record.value))
    return records


async def count_outputs(
    bootstrap: str, topics: list[str], partitions: int, total: int, timeout: float
) -> list[tuple[float, int]]:
    """(time, records so far) on `topics` (read_committed: what consumers see) until `total`."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, isolation_level="read_committed", auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        consumer.assign([TopicPartition(t, p) for t in topics for p in range(partitions)])
        samples: list[tuple[float, int]] = []
        seen, deadline = 0, time.monotonic() + timeout
        while seen < total and time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=250)
            seen += sum(len(records) for records in batch.values())
            samples.append((time.monotonic(), seen))
        return samples
    finally:
        await consumer.stop()


def rate_between(samples: list[tuple[float, int]], total: int) -> float | None:
    """Outputs/s from the sample before 10 % of `total` was reached to the first at 90 %.

    None when the outputs came in too few batches to tell (raise --count).
    """
    first = next((n for n, s in enumerate(samples) if s[1] >= 0.1 * total), None)
    last = next((n for n, s in enumerate(samples) if s[1] >= 0.9 * total), None)
    if first is None or last is None:
        return None
    low, high = samples[max(first - 1, 0)], samples[last]
    if high[0] <= low[0] or last - first < 3:
        return None
    return round((high[1] - low[1]) / (high[0] - low[0]), 1)


def run(bootstrap: str, root: Path, workers: int, args: argparse.Namespace) -> dict[str, Any]:
    prefix = f"scale{workers}-{int(time.time())}."
    env = {
        "NEWSFLOW_KAFKA__BOOTSTRAP_SERVERS": bootstrap,
        "NEWSFLOW_TOPICS__PREFIX": prefix,
        "NEWSFLOW_TOPICS__PARTITIONS": str(args.partitions),
        "NEWSFLOW_DATA_DIR": str(root / prefix),
        "NEWSFLOW_LOG_LEVEL": "WARNING",
    }
    settings = NormalizerSettings(
        kafka=KafkaSettings(bootstrap_servers=bootstrap),
        topics={"prefix": prefix, "partitions": args.partitions},  # type: ignore[arg-type]
    )
    topics = Topics(settings.topics)
    asyncio.run(ensure_topics(settings.kafka, topics.specs(settings.kafka)))
    items = workload(args.workload, args.corpus, args.count, salt=prefix)
    asyncio.run(produce(bootstrap, topics.raw, raw_records(items, prefix)))
    procs = [ServiceProcess("normalizer", env, free_port(), restart=False) for _ in range(workers)]
    try:
        started = time.monotonic()
        for proc in procs:
            proc.start()
        outputs = [topics.normalized, topics.dlq]
        samples = asyncio.run(count_outputs(bootstrap, outputs, args.partitions, args.count, args.timeout))
        done = samples[-1][1] if samples else 0
        cpu = [round(cpu_seconds(p.proc.pid), 1) for p in procs if p.proc is not None]
        return {
            "workers": workers,
            "outputs": done,
            "rate": rate_between(samples, args.count),
            "wall_s": round(samples[-1][0] - started, 1),
            "cpu_s": cpu,
            "load_average": [round(x, 2) for x in os.getloadavg()],
        }
    finally:
        for proc in procs:
            proc.stop()


def _wait(predicate: Any, what: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out: {what}")
        time.sleep(0.5)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.scaling", description=__doc__)
    parser.add_argument("--workload", choices=["html", "text"], default="html")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPORA)
    parser.add_argument("--count", type=int, default=600)
    parser.add_argument("--partitions", type=int, default=6)
    parser.add_argument("--timeout", type=float, default=600.0)
    args = parser.parse_args(argv)
    from services.core.commands.dev import kafka_runner

    results = []
    with tempfile.TemporaryDirectory(prefix="newsflow-scaling-") as tmp:
        broker = kafka_runner().KafkaBroker(
            Path(tmp) / "kafka", port=free_port(), controller_port=free_port(), heap="1g"
        )
        broker.start()
        try:
            for workers in (1, 2):
                print(
                    f"== {workers} normalizer worker(s), {args.count} {args.workload} inputs", file=sys.stderr
                )
                results.append(run(broker.bootstrap, Path(tmp), workers, args))
        finally:
            broker.stop()
    one, two = results
    for r in results:
        print(
            f"{r['workers']} worker(s): {r['rate']} {args.workload} articles/s normalized "
            f"({r['outputs']}/{args.count} in {r['wall_s']} s; CPU s per worker {r['cpu_s']}; "
            f"load average {r['load_average']} on {os.cpu_count()} CPUs)"
        )
    speedup = round(two["rate"] / one["rate"], 2) if one["rate"] and two["rate"] else None
    print(f"2 workers / 1 worker: {speedup}x")
    print(
        json.dumps(
            {
                "bench": "scaling",
                "stage": "normalizer",
                "workload": args.workload,
                "runs": results,
                "speedup": speedup,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
