"""A real Prometheus (the Debian binary, loopback, 1 s scrapes) watches the running system.

PromQL must agree with the topics: ingest's accepted counter with the records on
news.raw, the deduper's output counter with news.articles, and the sink's end-to-end
latency histogram must hold samples.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator

import httpx
import orjson
import pytest
import yaml

from tests.support.feed import text_articles
from tests.support.kafka import read_all
from tests.support.system import System, free_port

pytestmark = [pytest.mark.kafka, pytest.mark.e2e]
SERVICES = ("ingest", "normalizer", "categorizer", "deduper", "sink", "related")


@pytest.fixture(scope="module")
def prometheus(system: System, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    binary = shutil.which("prometheus")
    if binary is None:
        pytest.skip("prometheus binary not installed (make system-deps installs Debian's prometheus)")
    folder = tmp_path_factory.mktemp("prometheus")
    config = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "scrape_configs": [
            {"job_name": name, "static_configs": [{"targets": [system.url(name).removeprefix("http://")]}]}
            for name in SERVICES
        ],
    }
    (folder / "prometheus.yml").write_text(yaml.safe_dump(config))
    port = free_port()
    proc = subprocess.Popen(
        [
            binary,
            f"--config.file={folder / 'prometheus.yml'}",
            f"--storage.tsdb.path={folder / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=(folder / "prometheus.log").open("w"),
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(url + "/-/ready", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        proc.wait(20)


def query(url: str, promql: str) -> float | None:
    result = httpx.get(url + "/api/v1/query", params={"query": promql}, timeout=10).json()
    assert result["status"] == "success", result
    vector = result["data"]["result"]
    return float(vector[0]["value"][1]) if vector else None


def eventually(url: str, promql: str, expected: float, timeout: float = 60) -> float | None:
    deadline = time.monotonic() + timeout
    value = None
    while time.monotonic() < deadline:
        value = query(url, promql)
        if value == expected:
            return value
        time.sleep(1)
    return value


async def test_promql_counts_match_the_topics(system: System, prometheus: str) -> None:
    ids = []
    for doc in text_articles(12, seed=5):
        response = httpx.post(system.url("ingest") + "/v1/articles", json=doc, timeout=30)
        assert response.status_code == 202
        ids.append(response.json()["id"])
    # the fixture texts share paragraphs, so some come out as near duplicates: wait for
    # every verdict, on either topic
    deadline = time.monotonic() + 180
    judged: set[str] = set()
    while time.monotonic() < deadline and not set(ids) <= judged:
        judged = {
            orjson.loads(r.value)["ingest"]["id"]
            for topic in (system.topics.articles, system.topics.duplicates)
            for r in await read_all(system.bootstrap, topic, idle_s=1.0)
        }
    assert set(ids) <= judged
    raw = [
        r
        for r in await read_all(system.bootstrap, system.topics.raw)
        if r.key and not r.key.startswith(b"poison")
    ]
    articles = await read_all(system.bootstrap, system.topics.articles)

    accepted = eventually(prometheus, "sum(newsflow_ingest_accepted_total)", len(raw))
    assert accepted == len(raw)
    out = eventually(
        prometheus,
        f'sum(newsflow_messages_out_total{{stage="deduper",topic="{system.topics.articles}"}})',
        len(articles),
    )
    assert out == len(articles)
    samples = query(prometheus, 'sum(newsflow_e2e_latency_seconds_count{stage="sink"})')
    assert samples is not None and samples >= len(ids)
    p99 = query(
        prometheus,
        'histogram_quantile(0.99, sum by (le) (newsflow_e2e_latency_seconds_bucket{stage="sink"}))',
    )
    assert p99 is not None and p99 > 0
    assert query(prometheus, 'sum(up{job=~"ingest|normalizer|categorizer|deduper|sink|related"})') == len(
        SERVICES
    )
