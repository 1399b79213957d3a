"""The poller on a loopback news site with a fake produce: what gets fetched, produced, remembered.

The produce function stands in for the API's produce path so a broker failure can be
played: an item is remembered only after its ack, and the feed's validators only when
nothing of that poll is left, so a failed item is retried instead of hidden behind a 304.
"""

import asyncio
import logging
import random
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client import REGISTRY

from services.core.models import RawArticle
from services.ingest.feeds.config import FeedSpec
from services.ingest.feeds.fetch import FetchPolicy, SafeFetcher
from services.ingest.feeds.poller import FeedPoller, PollerConfig
from services.ingest.feeds.state import FeedState
from tests.support.feed_server import FEEDS, FeedServer, fundus_page, news_site

PAGES = [
    "/pages/uk_EveningStandard_2024_05_02.html",
    "/pages/seed-article.txt",
    "/pages/us_VoiceOfAmerica_2024_04_28.html",
]


@pytest.fixture
def server() -> Iterator[FeedServer]:
    server = news_site(FeedServer()).start()
    yield server
    server.stop()


class FakeProduce:
    """Acks everything, or fails while `failing` is set (a broker outage)."""

    def __init__(self) -> None:
        self.articles: list[RawArticle] = []
        self.failing = False

    async def __call__(self, articles: list[RawArticle]) -> list[BaseException | None]:
        if self.failing:
            return [TimeoutError("broker did not ack in time")] * len(articles)
        self.articles.extend(articles)
        return [None] * len(articles)


def make_poller(
    server: FeedServer,
    tmp_path: Path,
    produce: FakeProduce,
    *,
    allow_private: bool = True,
    timeout_s: float = 1.0,
    **config: object,
) -> FeedPoller:
    specs = [
        FeedSpec(url=f"{server.base}/feeds/rss.xml", source="Fixture Wire", section="world"),
        FeedSpec(url=f"{server.base}/feeds/atom.xml", source="Fixture DE", section="germany"),
    ]
    fetcher = SafeFetcher(
        FetchPolicy(allow_private=allow_private, timeout_s=timeout_s, retries=1, retry_base_s=0.02)
    )
    options: dict[str, object] = {"item_attempts": 2, "jitter": 0.0} | config
    return FeedPoller(
        specs,
        FeedState(tmp_path / "state.sqlite3"),
        fetcher,
        produce,
        PollerConfig(**options),  # type: ignore[arg-type]
        random.Random(0),
    )


async def close(poller: FeedPoller) -> None:
    await poller.fetcher.aclose()
    poller.state.close()


def sample(name: str, labels: dict[str, str]) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_new_items_are_fetched_once_and_the_next_poll_is_a_304(
    server: FeedServer, tmp_path: Path
) -> None:
    produce = FakeProduce()
    poller = make_poller(server, tmp_path, produce)
    rss = poller.specs[0]
    accepted_before = sample("newsflow_feed_items_total", {"result": "accepted"})
    first = await poller.poll(rss)
    assert (first.result, first.new, first.accepted, first.gave_up, first.retry) == ("ok", 4, 3, 1, 0)
    assert sample("newsflow_feed_items_total", {"result": "accepted"}) == accepted_before + 3
    by_url = {a.url: a for a in produce.articles}
    assert set(by_url) == {server.base + p for p in PAGES}
    voa = by_url[f"{server.base}/pages/us_VoiceOfAmerica_2024_04_28.html"]
    assert voa.content == fundus_page("us_VoiceOfAmerica_2024_04_28").decode("utf-8")
    assert voa.ingest.fetch is not None and voa.ingest.fetch["url"] == f"{server.base}/go/voa"
    assert (
        voa.hints is not None and voa.hints["section"] == "world" and voa.hints["title"].startswith("Voice")
    )
    assert by_url[f"{server.base}/pages/seed-article.txt"].format == "text"

    second = await poller.poll(rss)
    assert second.result == "not_modified"
    assert [h.if_none_match is not None for h in server.hits if h.path == "/feeds/rss.xml"] == [False, True]
    assert all(server.count(p) == 1 for p in PAGES) and server.count("/pages/gone.html") == 1
    assert len(produce.articles) == 3
    await close(poller)


async def test_nothing_is_remembered_before_the_broker_acked(server: FeedServer, tmp_path: Path) -> None:
    produce = FakeProduce()
    produce.failing = True
    poller = make_poller(server, tmp_path, produce)
    rss = poller.specs[0]
    down = await poller.poll(rss)
    assert (down.result, down.accepted, down.retry, down.gave_up) == ("ok", 0, 3, 1)
    assert poller.state.done(server.base + p for p in PAGES) == set()
    assert poller.state.validators(rss.url) == (None, None)  # else the next poll would be a 304

    produce.failing = False
    up = await poller.poll(rss)
    assert [h.answered for h in server.hits if h.path == "/feeds/rss.xml"] == [200, 200]
    assert (up.accepted, up.retry, up.gave_up, up.new) == (3, 0, 0, 3)  # gone.html was given up already
    assert len(produce.articles) == 3
    assert (await poller.poll(rss)).result == "not_modified"
    await close(poller)


async def test_a_restarted_poller_fetches_only_what_is_new(server: FeedServer, tmp_path: Path) -> None:
    produce = FakeProduce()
    poller = make_poller(server, tmp_path, produce)
    await poller.poll(poller.specs[0])
    await close(poller)

    # The feed gains an item (new ETag); a fresh process opens the same state file.
    template = (FEEDS / "rss.xml").read_text()
    extra = "<item><title>New</title><link>{base}/pages/new.html</link></item>\n  </channel>"
    server.feed("/feeds/rss.xml", template.replace("</channel>", extra))
    server.page("/pages/new.html", fundus_page("de_DW_2024_01_30"))
    restarted = make_poller(server, tmp_path, produce)
    report = await restarted.poll(restarted.specs[0])
    assert (report.new, report.accepted) == (1, 1)
    assert [a.url for a in produce.articles][-1] == f"{server.base}/pages/new.html"
    assert all(server.count(p) == 1 for p in PAGES) and server.count("/pages/gone.html") == 1
    await close(restarted)


async def test_a_failing_item_is_retried_then_given_up(server: FeedServer, tmp_path: Path) -> None:
    produce = FakeProduce()
    poller = make_poller(server, tmp_path, produce)
    atom = poller.specs[1]
    first = await poller.poll(atom)
    assert (first.accepted, first.retry) == (1, 1)
    second = await poller.poll(atom)
    assert (second.new, second.gave_up, second.retry) == (1, 1, 0)
    assert server.count("/pages/flaky.html") == 4  # 2 polls x (try + 1 retry)
    assert (await poller.poll(atom)).result == "not_modified"
    assert produce.articles[0].hints is not None and produce.articles[0].hints["source"] == "Fixture DE"
    await close(poller)


@pytest.mark.parametrize(
    ("path", "result"),
    [
        ("/feeds/error.xml", "http_error"),
        ("/feeds/malformed.xml", "malformed"),
        ("/feeds/slow.xml", "timeout"),
        ("/feeds/loop.xml", "redirect_loop"),
        ("/feeds/missing.xml", "http_error"),
    ],
)
async def test_broken_feeds_are_reported_by_reason(
    server: FeedServer, tmp_path: Path, path: str, result: str
) -> None:
    poller = make_poller(server, tmp_path, FakeProduce(), timeout_s=0.5)
    spec = FeedSpec(url=server.base + path, source="Broken")
    before = sample("newsflow_feed_polls_total", {"feed": "Broken", "result": result})
    report = await poller.poll(spec)
    assert report.result == result and not report.ok and report.detail
    assert sample("newsflow_feed_polls_total", {"feed": "Broken", "result": result}) == before + 1
    await close(poller)


async def test_loopback_feed_is_refused_without_allow_private(
    server: FeedServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    poller = make_poller(server, tmp_path, FakeProduce(), allow_private=False)
    before = sample("newsflow_feed_fetch_refused_total", {"reason": "loopback"})
    with caplog.at_level(logging.WARNING):
        report = await poller.poll(poller.specs[0])
    assert report.result == "blocked" and "127.0.0.1 is loopback" in report.detail
    assert sample("newsflow_feed_fetch_refused_total", {"reason": "loopback"}) == before + 1
    refused = [r for r in caplog.records if "fetch refused" in r.getMessage()]
    assert refused and refused[0].__dict__["address_class"] == "loopback"
    assert "NEWSFLOW_FEEDS_ALLOW_PRIVATE" in refused[0].__dict__["hint"]
    assert server.hits == []
    await close(poller)


async def test_polls_per_run_are_bounded_and_the_rest_comes_next_poll(
    server: FeedServer, tmp_path: Path
) -> None:
    produce = FakeProduce()
    poller = make_poller(server, tmp_path, produce, max_items_per_poll=2)
    rss = poller.specs[0]
    first = await poller.poll(rss)
    assert first.new == 2 and poller.state.validators(rss.url) == (None, None)
    second = await poller.poll(rss)
    assert second.new == 2 and second.result == "ok"
    assert (await poller.poll(rss)).result == "not_modified"
    assert len(produce.articles) == 3
    await close(poller)


async def test_the_run_loop_keeps_polling_on_schedule(server: FeedServer, tmp_path: Path) -> None:
    produce = FakeProduce()
    poller = make_poller(server, tmp_path, produce)
    poller.specs[:] = [FeedSpec(url=f"{server.base}/feeds/rss.xml", source="Fixture Wire", interval_s=0.2)]
    task = asyncio.create_task(poller.run())
    await asyncio.sleep(1.5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert server.count("/feeds/rss.xml") >= 4 and server.answered("/feeds/rss.xml", 304) >= 3
    assert len(produce.articles) == 3
    await close(poller)
