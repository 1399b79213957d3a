"""`make bench`: end-to-end throughput and latency of the whole system on a real broker.

Starts its own Kafka (Maven jars) and the five services exactly as `make run` does,
then for each workload (text dumps, HTML pages):
  * saturation: POST N articles as fast as the ingest API takes them (NDJSON batches)
    and time until every ingest id has left the deduper (news.articles/duplicates/dlq);
  * latency: POST at a fixed rate and time POST -> the article listed in a sink
    latest view (read from the compacted news.latest topic the sink updates right after
    its table write; each latency article has a source view of its own);
and prints per-stage CPU seconds and peak RSS, then one JSON line with every figure.
Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import orjson
from aiokafka import AIOKafkaConsumer

from services.core.supervisor import ALL_SERVICES, Supervisor
from tests.bench.procstats import cpu_seconds, rss_mb
from tests.bench.workloads import DEFAULT_CORPORA, workload
from tests.support.system import free_port

OUTPUT_TOPICS = ("news.articles", "news.duplicates", "news.dlq")


class Watcher:
    """Consumes the output topics and records when each ingest id / article id appears."""

    def __init__(self, bootstrap: str) -> None:
        self.bootstrap = bootstrap
        self.done: dict[str, float] = {}  # ingest id -> time it left the deduper
        self.article_of: dict[str, tuple[str, int]] = {}  # ingest id -> (article id, version)
        self.visible: dict[tuple[str, int], float] = {}  # (article id, version) -> first listed
        self._task: asyncio.Task[None] | None = None
        self.last_view_update = time.monotonic()

    async def start(self) -> None:
        self.consumer = AIOKafkaConsumer(
            *OUTPUT_TOPICS,
            "news.latest",
            bootstrap_servers=self.bootstrap,
            auto_offset_reset="latest",
            enable_auto_commit=False,
            max_partition_fetch_bytes=16 << 20,
            fetch_max_bytes=64 << 20,
        )
        await self.consumer.start()
        while not self.consumer.assignment():
            await asyncio.sleep(0.1)
        for tp in self.consumer.assignment():
            await self.consumer.seek_to_end(tp)
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            batch = await self.consumer.getmany(timeout_ms=200)
            now = time.monotonic()
            for messages in batch.values():
                for m in messages:
                    if m.topic == "news.latest":
                        self.last_view_update = now
                        if m.key == b"all" or (m.key or b"").startswith(b"source:bench "):
                            for item in orjson.loads(m.value)["articles"]:
                                self.visible.setdefault((item["id"], item.get("version", 1)), now)
                        continue
                    value = orjson.loads(m.value)
                    ingest_id = value.get("ingest", {}).get("id") or value.get("ingest_id")
                    if ingest_id:
                        self.done.setdefault(ingest_id, now)
                        if m.topic == "news.articles":
                            version = (value.get("dedupe") or {}).get("version", 1)
                            self.article_of[ingest_id] = (value["id"], version)

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
        await self.consumer.stop()


async def post_batches(api: str, docs: list[dict[str, str]], batch: int) -> dict[str, float]:
    sent: dict[str, float] = {}
    async with httpx.AsyncClient(timeout=120) as client:

        async def one(chunk: list[dict[str, str]]) -> None:
            body = b"\n".join(orjson.dumps(d) for d in chunk)
            response = await client.post(f"{api}/v1/articles/batch", content=body)
            now = time.monotonic()
            for ingest_id in response.json().get("ids", []):
                sent[ingest_id] = now

        chunks = [docs[i : i + batch] for i in range(0, len(docs), batch)]
        for i in range(0, len(chunks), 4):
            await asyncio.gather(*(one(c) for c in chunks[i : i + 4]))
    return sent


async def post_at_rate(api: str, docs: list[dict[str, str]], rate: float) -> dict[str, float]:
    sent: dict[str, float] = {}
    async with httpx.AsyncClient(timeout=60) as client:
        start = time.monotonic()
        tasks = []

        async def one(doc: dict[str, str]) -> None:
            t0 = time.monotonic()
            response = await client.post(f"{api}/v1/articles", json=doc)
            if response.status_code == 202:
                sent[response.json()["id"]] = t0

        for n, doc in enumerate(docs):
            delay = start + n / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(doc)))
        await asyncio.gather(*tasks)
    return sent


async def wait_done(watcher: Watcher, ids: set[str], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not ids <= set(watcher.done):
        await asyncio.sleep(0.2)


def pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)


async def run_workload(
    name: str, api: str, bootstrap: str, args: argparse.Namespace, sup: Supervisor
) -> dict[str, Any]:
    watcher = Watcher(bootstrap)
    await watcher.start()
    try:
        docs = workload(name, args.corpus, args.count, f"{name}-sat")
        cpu0 = {s: cpu_seconds(sup[s].proc.pid) for s in ALL_SERVICES}  # type: ignore[union-attr]
        t0 = time.monotonic()
        sent = await post_batches(api, docs, args.batch)
        await wait_done(watcher, set(sent), args.timeout)
        elapsed = max(watcher.done.get(i, time.monotonic()) for i in sent) - t0
        completed = sum(1 for i in sent if i in watcher.done)
        cpu = {s: round(cpu_seconds(sup[s].proc.pid) - cpu0[s], 2) for s in ALL_SERVICES}  # type: ignore[union-attr]
        throughput = completed / elapsed if elapsed > 0 else 0.0

        # the sink works through the saturation backlog after the deduper is done:
        # start the latency run only once it is idle, or it measures that queue
        while time.monotonic() - watcher.last_view_update < 3.0:
            await asyncio.sleep(0.5)
        lat_docs = workload(
            name, args.corpus, int(args.rate * args.latency_seconds), f"{name}-lat", own_source=True
        )
        sent_lat = await post_at_rate(api, lat_docs, args.rate)
        await wait_done(watcher, set(sent_lat), args.timeout)
        await asyncio.sleep(2.0)
        mapped = [watcher.article_of[i] for i in sent_lat if i in watcher.article_of]
        print(
            f"   latency run: {len(sent_lat)} sent, {len(mapped)} on news.articles, "
            f"{sum(1 for m in mapped if m in watcher.visible)} seen in a view",
            file=sys.stderr,
        )
        latencies = [
            (watcher.visible[watcher.article_of[i]] - t) * 1000
            for i, t in sent_lat.items()
            if i in watcher.article_of and watcher.article_of[i] in watcher.visible
        ]
    finally:
        await watcher.stop()
    return {
        "workload": name,
        "articles": len(docs),
        "accepted": len(sent),
        "completed": completed,
        "seconds": round(elapsed, 2),
        "articles_per_s": round(throughput, 1),
        "cpu_seconds": cpu,
        "latency_rate_per_s": args.rate,
        "latency_samples": len(latencies),
        "latency_ms": {
            "p50": pct(latencies, 0.50),
            "p95": pct(latencies, 0.95),
            "p99": pct(latencies, 0.99),
            "mean": round(statistics.fmean(latencies), 1) if latencies else None,
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make bench", description=__doc__)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPORA)
    parser.add_argument("--workloads", default="text,html")
    parser.add_argument("--count", type=int, default=2000, help="articles per saturation run")
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--rate", type=float, default=20.0, help="articles/s in the latency run")
    parser.add_argument("--latency-seconds", type=float, default=15.0)
    parser.add_argument("--timeout", type=float, default=600.0)
    args = parser.parse_args(argv)

    from services.core.commands.dev import kafka_runner

    runner = kafka_runner()
    with tempfile.TemporaryDirectory(prefix="newsflow-bench-") as tmp:
        broker = runner.KafkaBroker(
            Path(tmp) / "kafka", port=free_port(), controller_port=free_port(), heap="1g"
        )
        broker.start()
        env = {
            "NEWSFLOW_KAFKA__BOOTSTRAP_SERVERS": broker.bootstrap,
            "NEWSFLOW_DATA_DIR": str(Path(tmp) / "state"),
            "NEWSFLOW_LOG_LEVEL": "WARNING",
        }
        sup = Supervisor(env, ports={s: free_port() for s in ALL_SERVICES}, on_line=None, restart=False)
        sup.start()
        results = []
        peak_rss: dict[str, float] = {}
        try:
            sup.wait_ready(180)
            for name in args.workloads.split(","):
                print(
                    f"== {name}: {args.count} articles at saturation, "
                    f"then {args.rate}/s for {args.latency_seconds}s",
                    file=sys.stderr,
                    flush=True,
                )
                result = asyncio.run(run_workload(name, sup["ingest"].url, broker.bootstrap, args, sup))
                results.append(result)
                for s in ALL_SERVICES:
                    peak_rss[s] = max(peak_rss.get(s, 0.0), round(rss_mb(sup[s].proc.pid), 1))  # type: ignore[union-attr]
                lat = result["latency_ms"]
                print(
                    f"{name:>5}: {result['articles_per_s']:>7} articles/s end to end "
                    f"({result['completed']}/{result['accepted']} in {result['seconds']} s); "
                    f"POST->visible at {args.rate}/s: p50 {lat['p50']} ms, "
                    f"p95 {lat['p95']} ms, p99 {lat['p99']} ms "
                    f"({result['latency_samples']} samples); CPU s per service {result['cpu_seconds']}",
                    flush=True,
                )
        finally:
            sup.stop()
            broker.stop()
    print(f"RSS MB per service (after runs): {peak_rss}")
    print(json.dumps({"bench": "pipeline", "results": results, "rss_mb": peak_rss}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
