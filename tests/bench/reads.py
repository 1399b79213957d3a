"""Read latency of the sink under concurrent load while articles stream in (`make bench`).

Starts its own Kafka (Maven jars) unless --bootstrap is given, and one or two sink
workers fed straight on news.articles (synthetic articles over a few themes, so the
related lists are real). Preloads --preload articles and waits until the sink caught
up; then, twice for --seconds each, a producer streams --rate articles/s while
--concurrency readers loop over GET /v1/latest (overall and by topic/country/source,
limit 20) and GET /v1/articles/{id}/related (random known ids), each on a persistent
connection (aiohttp client: httpx's own CPU per request showed up in the latencies):
  paced   --rps requests/s in all (latency at a fixed, moderate load: the aim's figure)
  closed  back to back (saturation: the most requests/s, and latency = queueing there)
Prints p50/p90/p99/max per route (client-side, the whole HTTP round trip) for both and
one JSON line. Figures are printed, never asserted. Target: p99 < 20 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
import httpx

from tests.integration.sink.articles import THEMES, records, synthetic
from tests.integration.sink.support import SinkCluster, latest_ids
from tests.support.kafka import produce
from tests.support.system import free_port

LATEST_PARAMS = [
    {},
    {"topic": THEMES[0][0]},
    {"topic": THEMES[1][0]},
    {"country": "DE"},
    {"source": "Reuters"},
]


def percentiles(samples: list[float]) -> dict[str, float]:
    if not samples:
        return {}
    ordered = sorted(samples)

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2)

    return {
        "n": len(ordered),
        "p50": at(0.50),
        "p90": at(0.90),
        "p99": at(0.99),
        "max": round(ordered[-1], 2),
        "mean": round(statistics.fmean(ordered), 2),
    }


async def reader(
    urls: list[str],
    ids: list[str],
    stop: float,
    seed: int,
    out: dict[str, list[float]],
    errors: list[int],
    interval: float = 0.0,
) -> None:
    """Requests back to back (interval 0: closed loop) or one every `interval` s (paced)."""
    rng = random.Random(seed)
    timeout = aiohttp.ClientTimeout(total=10)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=1), timeout=timeout) as client:
        next_at = time.monotonic() + rng.random() * interval
        while time.monotonic() < stop:
            if interval:
                await asyncio.sleep(max(0.0, next_at - time.monotonic()))
                next_at += interval
            base = rng.choice(urls)
            if rng.random() < 0.5:
                route, path, params = "latest", "/v1/latest", {"limit": "20", **rng.choice(LATEST_PARAMS)}
            else:
                route, path, params = "related", f"/v1/articles/{rng.choice(ids)}/related", {}
            assert isinstance(params, dict)
            started = time.perf_counter()
            async with client.get(base + path, params=params) as response:
                await response.read()
            elapsed = (time.perf_counter() - started) * 1000
            if response.status == 200:
                out[route].append(elapsed)
                timing = response.headers.get("server-timing", "")
                if "dur=" in timing:
                    out[f"{route}_server"].append(float(timing.rpartition("dur=")[2]))
            else:
                errors.append(response.status)


async def writer(bootstrap: str, topic: str, start: int, rate: float, stop: float) -> int:
    sent = 0
    while rate > 0 and time.monotonic() < stop:
        tick = time.monotonic()
        batch = synthetic(max(1, int(rate / 5)), seed=start + sent, start=start + sent)
        await produce(bootstrap, topic, records(batch))
        sent += len(batch)
        await asyncio.sleep(max(0.0, 0.2 - (time.monotonic() - tick)))
    return sent


async def measure(
    cluster: SinkCluster, ids: list[str], args: argparse.Namespace, rps: float, start: int
) -> dict[str, Any]:
    urls = [w.url for w in cluster.workers]
    samples: dict[str, list[float]] = {
        k: [] for k in ("latest", "related", "latest_server", "related_server")
    }
    errors: list[int] = []
    stop = time.monotonic() + args.seconds
    interval = args.concurrency / rps if rps else 0.0
    readers = [reader(urls, ids, stop, n, samples, errors, interval) for n in range(args.concurrency)]
    results = await asyncio.gather(
        writer(cluster.bootstrap, cluster.topics.articles, start, args.rate, stop), *readers
    )
    return {
        "mode": "paced" if rps else "closed",
        "load_average": [round(x, 2) for x in os.getloadavg()],  # the machine may be shared
        "latest_ms": percentiles(samples["latest"]),
        "related_ms": percentiles(samples["related"]),
        "server_ms": {  # Server-Timing: time inside the sink's handler (routing + table read)
            "latest": percentiles(samples["latest_server"]),
            "related": percentiles(samples["related_server"]),
        },
        "requests_per_s": round((len(samples["latest"]) + len(samples["related"])) / args.seconds, 1),
        "errors": len(errors),
        "articles_streamed": results[0],
    }


def run(bootstrap: str, root: Path, args: argparse.Namespace) -> dict[str, Any]:
    cluster = SinkCluster(
        bootstrap, root, partitions=args.partitions, extra_env={"NEWSFLOW_LOG_LEVEL": "WARNING"}
    )
    try:
        for _ in range(args.workers):
            cluster.start()
        preload = synthetic(args.preload)
        print(
            f"preloading {len(preload)} articles into {args.workers} sink worker(s)",
            file=sys.stderr,
            flush=True,
        )
        asyncio.run(produce(bootstrap, cluster.topics.articles, records(preload)))
        ids = [a.id for a in preload]
        first = cluster.workers[0].url
        cluster.wait(lambda: ids[-1] in latest_ids(first), "preload listed", 600)
        last = preload[0].id
        cluster.wait(
            lambda: httpx.get(f"{first}/v1/articles/{last}/related", timeout=10).json()["related"] != [],
            "related lists built",
            600,
        )
        time.sleep(2)
        print(
            f"measuring for {args.seconds}s: {args.concurrency} readers, {args.rate} articles/s streaming in",
            file=sys.stderr,
            flush=True,
        )
        paced = asyncio.run(measure(cluster, ids, args, args.rps, args.preload))
        closed = asyncio.run(measure(cluster, ids, args, 0.0, args.preload + paced["articles_streamed"]))
        return {"paced": paced, "closed": closed}
    finally:
        cluster.stop()


def report(result: dict[str, Any], args: argparse.Namespace) -> None:
    mode = f"paced at {args.rps:g} requests/s" if result["mode"] == "paced" else "closed loop"
    print(f"{mode}:")
    for route in ("latest", "related"):
        lat, server = result[f"{route}_ms"], result["server_ms"][route]
        print(
            f"  {route:>7}: p50 {lat.get('p50')} ms, p90 {lat.get('p90')} ms, p99 {lat.get('p99')} ms, "
            f"max {lat.get('max')} ms ({lat.get('n')} requests); in the handler: p50 {server.get('p50')} ms, "
            f"p99 {server.get('p99')} ms"
        )
    print(
        f"  {result['requests_per_s']} requests/s with {args.concurrency} readers on {args.workers} "
        f"worker(s) while {result['articles_streamed']} articles streamed in; {result['errors']} "
        f"non-200 answers; load average {result['load_average']} on {os.cpu_count()} CPUs"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.reads", description=__doc__)
    parser.add_argument("--bootstrap", default=None, help="use this broker instead of starting one")
    parser.add_argument("--workers", type=int, default=1, choices=[1, 2])
    parser.add_argument("--partitions", type=int, default=3)
    parser.add_argument("--preload", type=int, default=2000)
    parser.add_argument("--rate", type=float, default=20.0, help="articles/s streamed in while reading")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--rps", type=float, default=100.0, help="total request rate of the paced run")
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="newsflow-reads-") as tmp:
        if args.bootstrap:
            result = run(args.bootstrap, Path(tmp), args)
        else:
            from services.core.commands.dev import kafka_runner

            broker = kafka_runner().KafkaBroker(
                Path(tmp) / "kafka", port=free_port(), controller_port=free_port(), heap="1g"
            )
            broker.start()
            try:
                result = run(broker.bootstrap, Path(tmp), args)
            finally:
                broker.stop()
    for mode in ("paced", "closed"):
        report(result[mode], args)
    print(
        json.dumps(
            {
                "bench": "reads",
                "workers": args.workers,
                "concurrency": args.concurrency,
                "rps": args.rps,
                "rate": args.rate,
                "preload": args.preload,
                **result,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
