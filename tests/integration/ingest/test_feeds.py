"""Feeds polled by the real ingest service onto a real news.raw, from a loopback news site.

One run covers the happy path and every failure the fetcher must survive (500, malformed
XML, a server slower than the timeout, a redirect loop, a 404 item, an item whose server
keeps failing), conditional GETs answered 304, and a restart that fetches only what is new.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from services.core import schemas
from tests.support.feed_server import FEEDS, FeedServer, fundus_page, news_site
from tests.support.kafka import read_all, wait_for
from tests.support.system import System, running_system

pytestmark = pytest.mark.kafka

ALLOW = {
    "NEWSFLOW_FEEDS_ALLOW_PRIVATE": "true",  # the test site is on loopback
    "NEWSFLOW_FEEDS_TIMEOUT_S": "1",
    "NEWSFLOW_FEEDS_RETRIES": "1",
    "NEWSFLOW_FEEDS_ITEM_ATTEMPTS": "2",
}
PAGES = {
    "/pages/uk_EveningStandard_2024_05_02.html": "Fixture Wire",
    "/pages/seed-article.txt": "Fixture Wire",
    "/pages/us_VoiceOfAmerica_2024_04_28.html": "Fixture Wire",
    "/pages/de_DW_2024_01_30.html": "Fixture DE",
}


@pytest.fixture(scope="module")
def site() -> Iterator[FeedServer]:
    server = news_site(FeedServer()).start()
    yield server
    server.stop()


def write_feeds(path: Path, site: FeedServer, entries: list[tuple[str, str, str | None]]) -> Path:
    feeds = [
        {"url": site.base + feed_path, "source": source, "section": section, "interval_s": 1}
        for feed_path, source, section in entries
    ]
    path.write_text(orjson.dumps(feeds).decode())
    return path


def metrics(system: System) -> dict[str, float]:
    text = httpx.get(system.url("ingest") + "/metrics", timeout=10).text
    values = {}
    for line in text.splitlines():
        match = re.match(r"^(newsflow_\w+(?:\{[^}]*\})?) ([0-9.e+-]+)$", line)
        if match:
            values[match.group(1)] = float(match.group(2))
    return values


def wait_metrics(system: System, wanted: list[str], timeout_s: float = 30.0) -> dict[str, float]:
    deadline = time.monotonic() + timeout_s
    while True:
        values = metrics(system)
        missing = [name for name in wanted if values.get(name, 0) < 1]
        if not missing:
            return values
        if time.monotonic() > deadline:
            raise AssertionError(f"metrics never appeared: {missing}\n" + "\n".join(system.logs[-30:]))
        time.sleep(0.5)


async def raw_values(system: System) -> list[dict[str, Any]]:
    records = await read_all(system.bootstrap, system.topics.raw, idle_s=1.5)
    values = [orjson.loads(r.value or b"") for r in records]
    for value in values:
        schemas.validate("raw_article", value)
    return values


async def test_feeds_land_on_news_raw_once_and_a_restart_fetches_only_new_items(
    kafka_broker: Any, site: FeedServer, tmp_path: Path
) -> None:
    feeds = write_feeds(
        tmp_path / "feeds.json",
        site,
        [
            ("/feeds/rss.xml", "Fixture Wire", "world"),
            ("/feeds/atom.xml", "Fixture DE", "germany"),
            ("/feeds/malformed.xml", "Broken XML", None),
            ("/feeds/error.xml", "Down", None),
            ("/feeds/slow.xml", "Slow", None),
            ("/feeds/loop.xml", "Loop", None),
        ],
    )
    data = tmp_path / "data"
    env = ALLOW | {"NEWSFLOW_FEEDS_FILE": str(feeds)}
    with running_system(kafka_broker.bootstrap, data, ("ingest",), extra_env=env) as system:
        await wait_for(system.bootstrap, system.topics.raw, lambda r: len(r) >= 4, timeout_s=60)
        values = await asyncio.to_thread(
            wait_metrics,
            system,
            [
                'newsflow_feed_polls_total{feed="Fixture Wire",result="not_modified"}',
                'newsflow_feed_polls_total{feed="Fixture DE",result="not_modified"}',
                'newsflow_feed_polls_total{feed="Broken XML",result="malformed"}',
                'newsflow_feed_polls_total{feed="Down",result="http_error"}',
                'newsflow_feed_polls_total{feed="Slow",result="timeout"}',
                'newsflow_feed_polls_total{feed="Loop",result="redirect_loop"}',
            ],
        )
        assert values['newsflow_feed_items_total{result="accepted"}'] == 4
        assert values['newsflow_feed_items_total{result="gone"}'] == 1
        assert values['newsflow_feed_items_total{result="gave_up"}'] == 2  # gone.html, flaky.html
        assert values['newsflow_feed_items_total{result="no_link"}'] >= 1
        assert values['newsflow_ingest_accepted_total{source="feed"}'] == 4
        assert values['newsflow_feed_last_success_timestamp_seconds{feed="Fixture Wire"}'] > 0
        raw = await raw_values(system)

    assert len(raw) == 4  # every page once, however many polls ran
    by_url = {value["url"]: value for value in raw}
    assert set(by_url) == {site.base + path for path in PAGES}
    for path, source in PAGES.items():
        value = by_url[site.base + path]
        assert value["ingest"]["source"] == "feed" and value["source"] == source
        assert value["fetched_at"] and value["hints"]["feed_url"].startswith(site.base + "/feeds/")
        fetch = value["ingest"]["fetch"]
        assert fetch["status"] == "200" and fetch["final_url"] == site.base + path
        assert fetch["etag"] and fetch["content_type"] and fetch["feed"] == source
    voa = by_url[site.base + "/pages/us_VoiceOfAmerica_2024_04_28.html"]
    assert voa["content"] == fundus_page("us_VoiceOfAmerica_2024_04_28").decode()
    assert voa["format"] == "html" and voa["ingest"]["fetch"]["url"] == site.base + "/go/voa"
    assert voa["hints"]["section"] == "world" and voa["hints"]["published_at"] == "2024-04-28T12:00:00.000Z"
    seed = by_url[site.base + "/pages/seed-article.txt"]
    assert seed["format"] == "text" and seed["hints"]["title"].startswith("Chiefs of General Staffs")
    dw = by_url[site.base + "/pages/de_DW_2024_01_30.html"]
    assert dw["hints"]["section"] == "germany" and dw["hints"]["source"] == "Fixture DE"
    assert all(site.count(path) == 1 for path in PAGES)
    assert site.answered("/feeds/rss.xml", 304) >= 1
    assert site.count("/pages/flaky.html") == 4  # 2 polls x (try + retry), then given up

    # Restart on the same data dir after the feed gained an item.
    template = (FEEDS / "rss.xml").read_text()
    extra = "<item><title>Later story</title><link>{base}/pages/later.html</link></item>\n  </channel>"
    site.feed("/feeds/rss.xml", template.replace("</channel>", extra))
    site.page("/pages/later.html", fundus_page("de_NDR_2023_04_28"))
    with running_system(kafka_broker.bootstrap, data, ("ingest",), extra_env=env) as again:
        await wait_for(again.bootstrap, again.topics.raw, lambda r: len(r) >= 1, timeout_s=60)
        await asyncio.to_thread(
            wait_metrics, again, ['newsflow_feed_polls_total{feed="Fixture Wire",result="not_modified"}']
        )
        after = await raw_values(again)
    assert [value["url"] for value in after] == [site.base + "/pages/later.html"]
    assert all(site.count(path) == 1 for path in PAGES)  # nothing seen before was fetched again
    assert site.count("/pages/flaky.html") == 4 and site.count("/pages/gone.html") == 1


async def test_loopback_feed_is_refused_without_allow_private(
    kafka_broker: Any, site: FeedServer, tmp_path: Path
) -> None:
    site.feed("/feeds/private.xml", (FEEDS / "rss.xml").read_text())
    feeds = write_feeds(tmp_path / "feeds.json", site, [("/feeds/private.xml", "Internal", None)])
    env = {"NEWSFLOW_FEEDS_FILE": str(feeds)}  # NEWSFLOW_FEEDS_ALLOW_PRIVATE not set
    with running_system(kafka_broker.bootstrap, tmp_path / "data", ("ingest",), extra_env=env) as system:
        values = await asyncio.to_thread(
            wait_metrics,
            system,
            [
                'newsflow_feed_fetch_refused_total{reason="loopback"}',
                'newsflow_feed_polls_total{feed="Internal",result="blocked"}',
            ],
        )
        assert values.get('newsflow_feed_items_total{result="accepted"}', 0) == 0
        refused = [orjson.loads(line.split("| ", 1)[1]) for line in system.logs if "fetch refused" in line]
        assert refused, system.logs[-20:]
        entry = refused[0]
        assert entry["level"] == "warning" and entry["reason"] == "blocked_address"
        assert entry["address_class"] == "loopback" and entry["feed"] == "Internal"
        assert "127.0.0.1 is loopback" in entry["msg"] and "NEWSFLOW_FEEDS_ALLOW_PRIVATE" in entry["hint"]
        assert await raw_values(system) == []
    assert site.count("/feeds/private.xml") == 0  # not a single byte reached the server
