"""Files, archives, backfill and `ingest feed --once` through the real CLI and service.

The CLI runs as a subprocess (as an operator runs it) against a real ingest service;
records are read back from news.raw. Backfill is held to its own rate limit while live
requests keep getting 202s.
"""

from __future__ import annotations

import asyncio
import gzip
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from services.core import schemas
from tests.support.feed_server import FeedServer, news_site
from tests.support.kafka import read_all
from tests.support.system import System, running_system
from tests.support.warc import write_warc

pytestmark = pytest.mark.kafka

FIXTURES = Path(__file__).parents[2] / "fixtures"
RATE, BURST = 10, 5


@pytest.fixture(scope="module")
def ingest(kafka_broker: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    env = {"NEWSFLOW_BACKFILL_RATE_PER_S": str(RATE), "NEWSFLOW_BACKFILL_BURST": str(BURST)}
    with running_system(
        kafka_broker.bootstrap, tmp_path_factory.mktemp("sources"), ("ingest",), extra_env=env
    ) as system:
        yield system


def newsflow(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "services.core.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=os.environ | (env or {}),
        check=False,
    )


async def raw_by_source(system: System) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for record in await read_all(system.bootstrap, system.topics.raw, idle_s=1.5):
        value = orjson.loads(record.value or b"")
        schemas.validate("raw_article", value)
        out.setdefault(value["ingest"]["source"], []).append(value)
    return out


async def test_backfill_is_held_to_its_rate_while_live_traffic_flows(ingest: System) -> None:
    url = ingest.url("ingest") + "/v1/articles"
    async with httpx.AsyncClient(timeout=30) as client:

        async def backfill(n: int) -> httpx.Response:
            headers = {"X-Ingest-Source": "backfill"}
            return await client.post(url, json={"content": f"archived {n}"}, headers=headers)

        async def live(n: int) -> tuple[httpx.Response, float]:
            await asyncio.sleep(n * 0.05)
            started = time.monotonic()
            response = await client.post(url, json={"content": f"breaking {n}"})
            return response, time.monotonic() - started

        started = time.monotonic()
        results = await asyncio.gather(*(backfill(n) for n in range(40)), *(live(n) for n in range(10)))
        elapsed = time.monotonic() - started
    backfilled = [r for r in results[:40] if isinstance(r, httpx.Response)]
    lived = [r for r in results[40:] if isinstance(r, tuple)]
    accepted = [r for r in backfilled if r.status_code == 202]
    throttled = [r for r in backfilled if r.status_code == 429]
    assert len(accepted) + len(throttled) == 40
    assert BURST <= len(accepted) <= BURST + RATE * elapsed + 1
    assert throttled and all(r.json()["error"] == "backfill_rate_limited" for r in throttled)
    assert all(r.headers["Retry-After"] == "1" for r in throttled)
    assert [r.status_code for r, _ in lived] == [202] * 10  # live traffic is not held back
    assert max(seconds for _, seconds in lived) < 2.0
    text = httpx.get(ingest.url("ingest") + "/metrics").text
    assert f'newsflow_ingest_accepted_total{{source="backfill"}} {float(len(accepted))}' in text
    assert f"newsflow_backfill_throttled_total {float(len(throttled))}" in text


async def test_cli_sends_folders_and_warc_archives_resumes_and_backfills(
    ingest: System, tmp_path: Path
) -> None:
    folder = tmp_path / "archive"
    folder.mkdir()
    (folder / "seed.txt.gz").write_bytes(gzip.compress((FIXTURES / "seed-article.txt").read_bytes()))
    (folder / "page.html").write_bytes(
        gzip.decompress((FIXTURES / "e2e/fundus/de_BR_2024_04_22.html.gz").read_bytes())
    )
    (folder / "lines.jsonl").write_text(
        '{"content": "line one", "format": "text", "source": "Wire"}\n{"url": "https://j.example/2", "html": "<p>2</p>"}\n'
    )
    sz = gzip.decompress((FIXTURES / "e2e/fundus/de_SZ_2023_04_28.html.gz").read_bytes())
    write_warc(
        folder / "CC-NEWS-20230428000000-00000.warc.gz",
        [
            {"uri": "https://www.sueddeutsche.de/a", "body": sz, "date": "2023-04-28T06:07:08Z"},
            {"uri": "https://x.example/logo.png", "body": b"\x89PNG", "content_type": "image/png"},
        ],
    )
    state = tmp_path / "state"
    api = ingest.url("ingest")
    first = newsflow("ingest", str(folder), "--api", api, "--state-dir", str(state))
    assert first.returncode == 0, first.stderr
    assert "ingested 5 of 5 documents (0 skipped" in first.stderr
    assert "docs_s=" in first.stderr and "B/s" in first.stderr  # the progress bar: rate and ETA in bytes

    again = newsflow("ingest", str(folder), "--api", api, "--state-dir", str(state), "--no-progress")
    assert again.returncode == 0 and "ingested 0 of 5 documents (5 skipped as already sent" in again.stderr

    backfill = newsflow(
        "ingest", str(folder), "--api", api, "--backfill", "--no-resume", "--rate", "20", "--no-progress"
    )
    assert backfill.returncode == 0 and "ingested 5 of 5" in backfill.stderr, backfill.stderr

    raw = await raw_by_source(ingest)
    files = raw["files"]
    assert len(files) == 5
    warc = next(v for v in files if v["url"] == "https://www.sueddeutsche.de/a")
    assert warc["fetched_at"] == "2023-04-28T06:07:08.000Z" and warc["format"] == "html"
    assert warc["content"] == sz.decode() and warc["ingest"]["fetch"]["warc_file"].startswith("CC-NEWS-")
    assert warc["ingest"]["fetch"]["origin"].startswith(str(folder / "CC-NEWS-"))
    seed = next(v for v in files if v["ingest"]["fetch"]["origin"].endswith("seed.txt.gz"))
    assert seed["content"] == (FIXTURES / "seed-article.txt").read_text() and seed["format"] == "text"
    backfilled = [v for v in raw["backfill"] if v["ingest"]["fetch"]]  # not the first test's bare posts
    assert sorted(v["content"] for v in backfilled) == sorted(v["content"] for v in files)


async def test_feed_once_by_hand_goes_through_the_api(ingest: System, tmp_path: Path) -> None:
    site = news_site(FeedServer()).start()
    try:
        args = ["ingest", "feed", f"{site.base}/feeds/rss.xml", "--once", "--api", ingest.url("ingest")]
        args += ["--source", "Hand Wire", "--section", "world", "--state-dir", str(tmp_path / "feeds")]
        env = {"NEWSFLOW_FEEDS_ALLOW_PRIVATE": "true", "NEWSFLOW_FEEDS_TIMEOUT_S": "2"}
        first = newsflow(*args, env=env)
        assert first.returncode == 0, first.stderr
        report = orjson.loads(first.stdout)
        assert (report["feed"], report["result"], report["accepted"], report["gave_up"]) == (
            "Hand Wire",
            "ok",
            3,
            1,
        )
        second = newsflow(*args, env=env)
        assert orjson.loads(second.stdout)["result"] == "not_modified"
        refused = newsflow(*args[:-2], "--state-dir", str(tmp_path / "other"))  # no ALLOW_PRIVATE
        assert refused.returncode == 1 and orjson.loads(refused.stdout)["result"] == "blocked"
        assert "fetch refused" in refused.stderr
    finally:
        site.stop()
    feed = (await raw_by_source(ingest))["feed"]
    assert len(feed) == 3
    assert {v["source"] for v in feed} == {"Hand Wire"} and {v["hints"]["section"] for v in feed} == {"world"}
    assert all(v["ingest"]["fetch"]["feed_url"].endswith("/feeds/rss.xml") for v in feed)
