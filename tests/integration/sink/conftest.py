"""One sink worker on the session broker, fed once, shared by the sink's API tests.

The feed goes straight to news.articles (as the deduper writes it), so the sink is
tested without the other stages: 40 synthetic articles in shared stories, a late
arrival, an update (v2) and its stale v1 replayed after it, a script-laden article.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from services.core.models import Article
from tests.integration.sink.articles import BASE, THEMES, make_article, records, synthetic
from tests.integration.sink.support import SinkCluster, latest_ids
from tests.support.kafka import produce

XSS_TITLE = '<script>alert(1)</script> Summit <img src=x onerror="window.__pwned=1">'


def feed() -> dict[str, Any]:
    politics = THEMES[0]
    articles = synthetic(40)
    late = make_article(
        "late",
        "Late report on the summit talks",
        published=BASE + timedelta(minutes=10, seconds=30),  # between a000010 and a000011
        topic=politics[:2],
        country="AZ",
        people=["Ilham Aliyev"],
        body="summit talks minister defence",
        story_id="story-0",
    )
    v1 = make_article(
        "upd",
        "Minister resigns",
        published=BASE + timedelta(minutes=20, seconds=30),
        topic=politics[:2],
        country="AZ",
        body="minister defence talks",
    )
    v2 = make_article(
        "upd",
        "Minister resigns after summit",
        published=BASE + timedelta(minutes=20, seconds=30),
        topic=politics[:2],
        country="AZ",
        body="minister defence talks summit",
        version=2,
    )
    xss = make_article(
        "xss",
        XSS_TITLE,
        published=BASE + timedelta(hours=2),
        topic=politics[:2],
        country="AZ",
        people=["Ilham Aliyev"],
        body="summit talks <b>bold</b>\n\n<script>alert(2)</script>",
        story_id="story-0",
    )
    return {
        "articles": articles,
        "late": late,
        "v1": v1,
        "v2": v2,
        "xss": xss,
        "batches": [articles, [late, v1], [v2], [v1], [xss]],
    }


def all_ids(fed: dict[str, Any]) -> set[str]:
    articles: list[Article] = fed["articles"]
    return {a.id for a in articles} | {"late", "upd", "xss"}


@pytest.fixture(scope="package")
def sink(kafka_broker: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SinkCluster]:
    cluster = SinkCluster(kafka_broker.bootstrap, tmp_path_factory.mktemp("sink"))
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


def feed_cluster(cluster: SinkCluster) -> dict[str, Any]:
    """The feed, on news.articles, once every article is listed."""
    data = feed()
    for batch in data["batches"]:
        asyncio.run(produce(cluster.bootstrap, cluster.topics.articles, records(batch)))
    base = cluster.workers[0].url
    cluster.wait(lambda: all_ids(data) <= set(latest_ids(base)), "every article listed", 120)
    return data


@pytest.fixture(scope="package")
def fed(sink: SinkCluster) -> dict[str, Any]:
    return feed_cluster(sink)
