"""The whole pipeline on a real broker: five service processes, real input, every topic checked.

POSTs the seed article and 20 real news pages; all must reach news.articles and the
sink's /v1/latest, and every message any service emitted must validate against its
topic's schema. A poison message written straight to news.raw must land in news.dlq
while later articles keep flowing.
"""

from __future__ import annotations

import gzip
import time
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from services.core import schemas
from services.core.topics import SCHEMA_OF
from tests.support.kafka import produce, read_all, wait_for
from tests.support.system import System, topic_ends

pytestmark = [pytest.mark.kafka, pytest.mark.e2e]

FIXTURES = Path(__file__).parents[1] / "fixtures"
POISON_KEY = b"poison-key"
SEED_TITLE = "Chiefs of General Staffs of Azerbaijani, Russian Armed Forces hold meeting in Baku"


def ingest(system: System, payload: dict[str, Any]) -> str:
    response = httpx.post(system.url("ingest") + "/v1/articles", json=payload, timeout=30)
    assert response.status_code == 202, response.text
    return str(response.json()["id"])


def ingest_ids(records: list[Any]) -> set[str]:
    return {orjson.loads(r.value)["ingest"]["id"] for r in records}


@pytest.fixture(scope="module")
def sent(system: System) -> dict[str, str]:
    """ingest id -> what was sent (seed + 20 fundus pages)."""
    ids = {ingest(system, {"content": (FIXTURES / "seed-article.txt").read_text(), "format": "auto"}): "seed"}
    for page in sorted((FIXTURES / "e2e" / "fundus").glob("*.html.gz")):
        html = gzip.decompress(page.read_bytes()).decode("utf-8", "replace")
        ids[ingest(system, {"content": html, "format": "html"})] = page.name
    return ids


async def test_every_article_reaches_news_articles_and_latest(system: System, sent: dict[str, str]) -> None:
    records = await wait_for(
        system.bootstrap, system.topics.articles, lambda rs: set(sent) <= ingest_ids(rs), timeout_s=240
    )
    articles = {orjson.loads(r.value)["ingest"]["id"]: orjson.loads(r.value) for r in records}
    seed = articles[next(i for i, name in sent.items() if name == "seed")]
    assert seed["title"] == SEED_TITLE
    assert seed["dedupe"]["status"] == "unique"
    assert all(a["dedupe"]["status"] in ("unique", "update") for a in articles.values())
    ends = await topic_ends(system.bootstrap, system.prefix)
    # one deduper owns every index partition: it decides inline (services/deduper/inline.py)
    assert ends["newsflow-deduper-index"] == ends["newsflow-deduper-gather"] == 0, ends

    wanted = {a["id"] for a in articles.values()}
    deadline = time.monotonic() + 60
    listed: set[str] = set()
    while time.monotonic() < deadline and not wanted <= listed:
        latest = httpx.get(system.url("sink") + "/v1/latest", params={"limit": 200}, timeout=10).json()
        listed = {a["id"] for a in latest.get("articles", [])}
        time.sleep(0.5)
    assert wanted <= listed
    # one sink and one related worker: their fan-out is inline too (services/sink/inline.py)
    ends = await topic_ends(system.bootstrap, system.prefix)
    internal = ("newsflow-sink-views", "newsflow-sink-stories", "newsflow-related-rel-index")
    assert [ends[name] for name in internal] == [0, 0, 0], ends

    one = httpx.get(f"{system.url('sink')}/v1/articles/{seed['id']}", timeout=10)
    assert one.status_code == 200 and one.json()["title"] == SEED_TITLE
    related = httpx.get(f"{system.url('sink')}/v1/articles/{seed['id']}/related", timeout=10)
    assert related.status_code == 200 and related.json()["id"] == seed["id"]
    missing = httpx.get(f"{system.url('sink')}/v1/articles/no-such-id", timeout=10)
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"


async def test_poison_message_goes_to_dlq_and_the_stream_goes_on(
    system: System, sent: dict[str, str]
) -> None:
    poison = b"\x00\xffnot an article"
    await produce(system.bootstrap, system.topics.raw, [(POISON_KEY, poison)])
    after = ingest(
        system,
        {
            "content": "BAKU, Azerbaijan, Nov. 27\n\nA later article about trade talks "
            "between two ministries, long enough to be an article body.",
            "format": "text",
        },
    )
    dlq = await wait_for(
        system.bootstrap, system.topics.dlq, lambda rs: any(r.key == POISON_KEY for r in rs), timeout_s=120
    )
    record = orjson.loads(next(r for r in dlq if r.key == POISON_KEY).value)
    assert record["stage"] == "normalizer"
    assert record["error"]["type"] and record["error"]["message"]
    import base64

    assert base64.b64decode(record["original_b64"]) == poison
    await wait_for(
        system.bootstrap, system.topics.articles, lambda rs: after in ingest_ids(rs), timeout_s=120
    )


async def test_every_emitted_message_validates_against_its_schema(
    system: System, sent: dict[str, str]
) -> None:
    await wait_for(
        system.bootstrap, system.topics.articles, lambda rs: set(sent) <= ingest_ids(rs), timeout_s=240
    )
    checked = 0
    for base, schema in SCHEMA_OF.items():
        for record in await read_all(system.bootstrap, system.topics.name(base), idle_s=1.0):
            if record.key == POISON_KEY:  # written by the test itself, not by a service
                continue
            try:
                message = orjson.loads(record.value)
            except orjson.JSONDecodeError as exc:
                raise AssertionError(f"{base}@{record.offset} not JSON: {record.value!r:.200}") from exc
            problems = schemas.errors(schema, message)
            assert not problems, f"{base} offset {record.offset}: {problems[:3]}"
            checked += 1
    assert checked >= 4 * len(sent)  # raw, normalized, categorized, articles at least


def test_services_expose_health_and_metrics(system: System, sent: dict[str, str]) -> None:
    for name in ("ingest", "normalizer", "categorizer", "deduper", "sink"):
        base = system.url(name)
        assert httpx.get(base + "/healthz", timeout=5).status_code == 200
        assert httpx.get(base + "/readyz", timeout=5).status_code == 200
        assert "newsflow_" in httpx.get(base + "/metrics", timeout=5).text
    sink_metrics = httpx.get(system.url("sink") + "/metrics", timeout=5).text
    assert 'newsflow_http_requests_total{method="GET",route="/v1/latest",status="200"}' in sink_metrics
