"""`make bench`: end-to-end throughput and latency of the whole system on a real broker.

First runs each workload's articles offline (`newsflow process`, one process) for the
baseline. Then starts its own Kafka (Maven jars) and the six services exactly as
`make run` does, and for each workload (text dumps, HTML pages), after a warm-up (--warmup
articles through the whole system, not measured: a fresh JVM compiles for its first minute):
  * saturation: POST N articles as fast as the ingest API takes them (NDJSON batches)
    and time until every ingest id has left the deduper (news.articles/duplicates/dlq),
    with each stage's rate from its /metrics counters, CPU seconds and peak RSS;
  * latency: POST single articles at a fixed rate (--rate) and at 80% of the measured
    saturation, and time POST -> the article listed in a sink latest view (read from the
    compacted news.latest topic the sink updates right after its table write; each
    latency article has a source view of its own);
then prints the streaming/offline ratios, writes a PNG of latency over time (--plot)
and prints one JSON line with every figure. Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import orjson

from services.core.supervisor import ALL_SERVICES, Supervisor
from tests.bench.latency import LatencyRun, plan_rates, run_latency
from tests.bench.offline import OfflineResult, offline_baseline, per, ratios
from tests.bench.plot import plot_latency
from tests.bench.procstats import cpu_seconds
from tests.bench.report import print_workload
from tests.bench.sampler import Sampler, Target
from tests.bench.watcher import Watcher, outcomes, wait_done, wait_sink_idle
from tests.bench.workloads import DEFAULT_CORPORA, workload
from tests.support.system import free_port

WARMUP_OFFSET = 5000  # warm-up inputs start this far past the measured ones: no near copies

DOWNSTREAM = ("sink", "related", "kafka")  # busy until the views and related lists are done


@dataclass
class System:
    """The running system under test: broker, supervised services, and their sampler."""

    api: str
    bootstrap: str
    sup: Supervisor
    broker_pid: int | None
    sampler: Sampler

    async def sink_idle(self, watcher: Watcher, timeout: float) -> None:
        await wait_sink_idle(watcher, timeout=timeout)

    def pids(self) -> dict[str, int]:
        pids = {s: self.sup[s].proc.pid for s in ALL_SERVICES}  # type: ignore[union-attr]
        return pids | ({"kafka": self.broker_pid} if self.broker_pid else {})


async def post_batches(api: str, docs: list[dict[str, str]], batch: int) -> dict[str, float]:
    """POST NDJSON batches, four in flight: ingest id -> when its batch was acked."""
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


async def warm_up(name: str, system: System, watcher: Watcher, args: argparse.Namespace) -> None:
    """Articles through the whole system first, not measured: a fresh broker spends its
    first minute compiling (its JIT threads took half of its CPU in a 20 s saturation run
    straight after start-up), and the services fill their caches and RocksDB; a deployed
    system has done all that long before. Corpus positions far past the measured ones."""
    if args.warmup <= 0:
        return
    print(f"   {name}: warm-up, {args.warmup} articles (not measured)", file=sys.stderr, flush=True)
    docs = workload(name, args.corpus, args.warmup, f"{name}-warm", start=args.count + WARMUP_OFFSET)
    sent = await post_batches(system.api, docs, args.batch)
    await wait_done(watcher, set(sent), args.timeout)
    await system.sink_idle(watcher, args.timeout)


async def saturation(name: str, system: System, watcher: Watcher, args: argparse.Namespace) -> dict[str, Any]:
    """Throughput at saturation, CPU per process, each stage's busy rate and peak RSS."""
    docs = workload(name, args.corpus, args.count, f"{name}-sat")
    print(f"   {name}: saturation, {len(docs)} articles", file=sys.stderr, flush=True)
    pids = system.pids()
    cpu0 = {p: cpu_seconds(pid) for p, pid in pids.items()}
    t0 = time.monotonic()
    sent = await post_batches(system.api, docs, args.batch)
    await wait_done(watcher, set(sent), args.timeout)
    elapsed = max(watcher.done.get(i, time.monotonic()) for i in sent) - t0 if sent else 0.0
    completed = sum(1 for i in sent if i in watcher.done)
    at_done = {p: cpu_seconds(pid) for p, pid in pids.items()}
    await system.sink_idle(watcher, args.timeout)  # the sink's backlog counts as its work
    until = time.monotonic()
    # The sink and the related worker are still working through their backlog when the
    # last article reaches news.articles, and the broker with them: their CPU counts
    # until both are idle (committed everything), the pipeline services' until then.
    at_idle = {p: cpu_seconds(pid) for p, pid in pids.items()}
    cpu = {p: round((at_idle if p in DOWNSTREAM else at_done)[p] - cpu0[p], 2) for p in pids}
    stages = system.sampler.stage_rates(t0, until)
    services_cpu = sum(cpu[s] for s in ALL_SERVICES)
    return {
        "articles": len(docs),
        "accepted": len(sent),
        "completed": completed,
        "outcomes": outcomes(watcher, sent),
        "seconds": round(elapsed, 2),
        "articles_per_s": per(completed, elapsed),
        "seconds_to_idle": round(until - t0, 2),
        "articles_per_s_to_idle": per(completed, until - t0),  # views and related lists too
        "cpu_seconds": {s: cpu[s] for s in ALL_SERVICES},
        "cpu_seconds_services": round(services_cpu, 2),
        "cpu_seconds_kafka": cpu.get("kafka"),
        "stage_rates": {s: stages[s].as_dict() for s in ALL_SERVICES if s in stages},
        "peak_rss_mb": system.sampler.peak_rss(t0, until),
    }


async def latency_runs(
    name: str, system: System, watcher: Watcher, saturated: float, args: argparse.Namespace
) -> list[LatencyRun]:
    """The fixed-rate run and the 80%-of-saturation run, each on an idle sink."""
    runs = []
    start = args.count  # corpus positions after the saturation run's: no near copies of those
    for n, plan in enumerate(plan_rates(args.rate, saturated, args.max_rate)):
        await system.sink_idle(watcher, args.timeout)
        count = max(1, int(plan.rate * args.latency_seconds))
        docs = workload(name, args.corpus, count, f"{name}-lat{n}", own_source=True, start=start)
        start += count
        print(
            f"   {name}: latency at {plan.rate}/s ({plan.label}) for {args.latency_seconds}s", file=sys.stderr
        )
        runs.append(await run_latency(system.api, watcher, docs, plan, args.timeout))
    return runs


async def run_workload(
    name: str, system: System, args: argparse.Namespace, offline: OfflineResult
) -> tuple[dict[str, Any], list[LatencyRun]]:
    """Saturation then latency runs of one workload, and its comparison with offline."""
    watcher = Watcher(system.bootstrap, partial(system.sampler.latest, "sink"))
    await watcher.start()
    try:
        await warm_up(name, system, watcher, args)
        start = time.monotonic()
        result = await saturation(name, system, watcher, args)
        runs = await latency_runs(name, system, watcher, result["articles_per_s"], args)
        await system.sink_idle(watcher, args.timeout)  # the next workload starts on an idle sink
    finally:
        await watcher.stop()
    result["latency"] = [run.summary() for run in runs]
    result["peak_rss_mb_all_runs"] = system.sampler.peak_rss(start, time.monotonic())
    result["offline"] = offline.as_dict()
    result |= ratios(
        result["completed"],
        result["seconds"],
        result["cpu_seconds"],
        result["cpu_seconds_kafka"],
        offline,
        result["seconds_to_idle"],
    )
    return {"workload": name, **result}, runs


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="make bench", description=__doc__)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPORA)
    parser.add_argument("--workloads", default="text,html")
    parser.add_argument("--count", type=int, help="articles per saturation run (2000; --quick 300)")
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument(
        "--warmup", type=int, help="articles through the system before measuring (1000; --quick 100)"
    )
    parser.add_argument("--rate", type=float, default=50.0, help="articles/s in the fixed-rate latency run")
    parser.add_argument("--max-rate", type=float, default=400.0, help="cap of the 80%%-of-saturation run")
    parser.add_argument("--latency-seconds", type=float, help="length of each latency run (15; --quick 5)")
    parser.add_argument("--timeout", type=float, help="longest wait for the pipeline (600 s; --quick 120)")
    parser.add_argument(
        "--plot", type=Path, default=Path("bench-results/bench-latency.png"), help="latency PNG"
    )
    parser.add_argument("--quick", action="store_true", help="smoke run: small counts, short runs")
    args = parser.parse_args(argv)
    args.count = args.count or (300 if args.quick else 2000)
    args.warmup = args.warmup if args.warmup is not None else (100 if args.quick else 1000)
    args.latency_seconds = args.latency_seconds or (5.0 if args.quick else 15.0)
    args.timeout = args.timeout or (120.0 if args.quick else 600.0)
    return args


def run_offline(names: list[str], args: argparse.Namespace, tmp: Path) -> dict[str, OfflineResult]:
    """The baselines, before the broker and services start so they have the CPUs alone."""
    results = {}
    for name in names:
        print(f"== {name}: {args.count} articles offline (newsflow process)", file=sys.stderr, flush=True)
        results[name] = offline_baseline(workload(name, args.corpus, args.count, f"{name}-sat"), tmp / name)
    return results


@contextmanager
def running_system(tmp: Path) -> Iterator[System]:
    """Kafka from the Maven jars and the six services as `make run` starts them, sampled."""
    from services.core.commands.dev import kafka_runner

    broker = kafka_runner().KafkaBroker(
        tmp / "kafka", port=free_port(), controller_port=free_port(), heap="1g"
    )
    broker.start()
    env = {
        "NEWSFLOW_KAFKA__BOOTSTRAP_SERVERS": broker.bootstrap,
        "NEWSFLOW_DATA_DIR": str(tmp / "state"),
        "NEWSFLOW_LOG_LEVEL": "WARNING",
    }
    sup = Supervisor(env, ports={s: free_port() for s in ALL_SERVICES}, on_line=None, restart=False)
    sup.start()
    sampler = Sampler([])
    try:
        sup.wait_ready(180)
        sampler = Sampler([Target(s, sup[s].proc.pid, sup[s].url) for s in ALL_SERVICES])  # type: ignore[union-attr]
        sampler.start()
        yield System(sup["ingest"].url, broker.bootstrap, sup, broker.pid, sampler)
    finally:
        sampler.stop()
        sup.stop()
        broker.stop()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    names = args.workloads.split(",")
    results: list[dict[str, Any]] = []
    series: dict[str, list[tuple[float, float]]] = {}
    with tempfile.TemporaryDirectory(prefix="newsflow-bench-") as tmp:
        offline = run_offline(names, args, Path(tmp) / "offline")
        with running_system(Path(tmp)) as system:
            for name in names:
                print(f"== {name}: {args.count} articles at saturation", file=sys.stderr, flush=True)
                result, runs = asyncio.run(run_workload(name, system, args, offline[name]))
                results.append(result)
                series |= {f"{name} {run.plan.describe()}": run.points for run in runs}
                print_workload(result)
            interval = system.sampler.interval
    peak = {
        s: max((r["peak_rss_mb_all_runs"].get(s, 0.0) for r in results), default=0.0) for s in ALL_SERVICES
    }
    print(f"peak RSS MB per service (all runs, sampled every {interval} s): {peak}")
    plotted = plot_latency(series, args.plot)
    if plotted:
        print(f"latency over time: {args.plot.resolve()}")
    summary = {
        "bench": "pipeline",
        "quick": args.quick,
        "cpus": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()],  # the machine may be shared
        "results": results,
        "peak_rss_mb": peak,
        "plot": str(args.plot.resolve()) if plotted else None,
    }
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
