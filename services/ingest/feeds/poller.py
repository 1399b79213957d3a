"""Poll feeds on a schedule; fetch each new item's page once; produce it; remember it.

The produce function is injected: in the service it is the API's own produce path
(acks=all, counted as accepted only when the broker acked); in `newsflow ingest feed`
it posts to the API. An item is marked done only after that ack, so a broker outage
means "fetch again on the next poll", never "lost". Item failures are counted per item
across polls: permanent ones (404/410, blocked address, not a page) are given up at
once, others after `item_attempts` polls, so one broken link cannot block a feed.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from services.core import metrics
from services.core.models import RawArticle
from services.ingest.feeds.config import FeedSpec
from services.ingest.feeds.fetch import BlockedAddress, FetchError, SafeFetcher
from services.ingest.feeds.items import page_format, raw_article
from services.ingest.feeds.parse import FeedItem, MalformedFeed, parse_feed
from services.ingest.feeds.schedule import first_delay, poll_delay
from services.ingest.feeds.state import FeedState

log = logging.getLogger(__name__)

Produce = Callable[[list[RawArticle]], Awaitable[list[BaseException | None]]]

FEED_ACCEPT = "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, text/plain;q=0.5"
GOOD_RESULTS = frozenset({"ok", "not_modified"})
GONE = frozenset({404, 410})
ALLOW_HINT = "set NEWSFLOW_FEEDS_ALLOW_PRIVATE=true only if feeds on private networks are intended"


@dataclass(frozen=True)
class PollerConfig:
    default_interval_s: float = 300.0
    jitter: float = 0.1
    max_items_per_poll: int = 100
    item_attempts: int = 5
    page_concurrency: int = 8


@dataclass
class PollReport:
    feed: str
    url: str
    result: str  # ok | not_modified | timeout | network | blocked | too_large | http_error | malformed | ...
    new: int = 0
    accepted: int = 0
    retry: int = 0  # left for the next poll
    gave_up: int = 0
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.result in GOOD_RESULTS


def _note_refusal(exc: BlockedAddress, spec: FeedSpec, url: str, what: str) -> None:
    metrics.FEED_FETCH_REFUSED.labels(exc.detail).inc()
    log.warning(
        f"{what} fetch refused: {exc}",
        extra={
            "feed": spec.name,
            "url": url,
            "reason": "blocked_address",
            "address_class": exc.detail,
            "address": exc.address,
            "hint": ALLOW_HINT,
        },
    )


@dataclass
class FeedPoller:
    specs: list[FeedSpec]
    state: FeedState
    fetcher: SafeFetcher
    produce: Produce
    config: PollerConfig = field(default_factory=PollerConfig)
    rng: random.Random = field(default_factory=random.Random)

    def __post_init__(self) -> None:
        self._pages = asyncio.Semaphore(max(1, self.config.page_concurrency))

    def interval(self, spec: FeedSpec) -> float:
        return spec.interval_s or self.config.default_interval_s

    async def run(self) -> None:
        """Poll every feed forever, each on its own jittered schedule."""
        async with asyncio.TaskGroup() as group:
            for spec in self.specs:
                group.create_task(self._loop(spec), name=f"feed:{spec.name}")

    async def _loop(self, spec: FeedSpec) -> None:
        interval = self.interval(spec)
        await asyncio.sleep(first_delay(interval, self.config.jitter, self.rng))
        failures = 0
        while True:
            try:
                report = await self.poll(spec)
            except Exception as exc:  # keep polling: one bug in one feed must not stop the others
                log.exception("feed poll crashed", extra={"feed": spec.name, "url": spec.url})
                metrics.FEED_POLLS.labels(spec.name, "error").inc()
                report = PollReport(spec.name, spec.url, "error", detail=repr(exc))
            failures = 0 if report.ok else failures + 1
            await asyncio.sleep(poll_delay(interval, failures, self.config.jitter, self.rng))

    async def poll(self, spec: FeedSpec) -> PollReport:
        """One poll of one feed: conditional GET, parse, fetch and produce new items."""
        report = await self._poll(spec)
        metrics.FEED_POLLS.labels(spec.name, report.result).inc()
        if report.ok:
            metrics.FEED_LAST_SUCCESS.labels(spec.name).set(time.time())
        level = logging.INFO if report.ok else logging.WARNING
        log.log(
            level,
            "feed polled",
            extra={
                "feed": spec.name,
                "url": spec.url,
                "result": report.result,
                "new": report.new,
                "accepted": report.accepted,
                "retry": report.retry,
                "gave_up": report.gave_up,
                "detail": report.detail,
            },
        )
        return report

    async def _poll(self, spec: FeedSpec) -> PollReport:
        etag, last_modified = self.state.validators(spec.url)
        started = time.perf_counter()
        try:
            feed = await self.fetcher.get(
                spec.url, etag=etag, last_modified=last_modified, accept=FEED_ACCEPT
            )
        except BlockedAddress as exc:
            _note_refusal(exc, spec, spec.url, "feed")
            return PollReport(spec.name, spec.url, "blocked", detail=str(exc))
        except FetchError as exc:
            return PollReport(spec.name, spec.url, exc.reason, detail=str(exc))
        finally:
            metrics.FEED_FETCH_SECONDS.labels("feed").observe(time.perf_counter() - started)
        if feed.status == 304:
            return PollReport(spec.name, spec.url, "not_modified")
        if not 200 <= feed.status < 300:
            return PollReport(spec.name, spec.url, "http_error", detail=f"HTTP {feed.status}")
        try:
            parsed = await asyncio.to_thread(parse_feed, feed.body, feed.final_url, feed.content_type)
        except MalformedFeed as exc:
            return PollReport(spec.name, spec.url, "malformed", detail=str(exc))
        if parsed.no_link:
            metrics.FEED_ITEMS.labels("no_link").inc(parsed.no_link)
        done = self.state.done(item.url for item in parsed.items)
        fresh = [item for item in parsed.items if item.url not in done]
        batch = fresh[: self.config.max_items_per_poll]
        outcomes = await asyncio.gather(*(self._item(spec, item) for item in batch))
        report = PollReport(spec.name, spec.url, "ok", new=len(batch))
        report.accepted = outcomes.count("accepted")
        report.retry = outcomes.count("retry")
        report.gave_up = outcomes.count("gave_up")
        if report.retry == 0 and len(batch) == len(fresh):
            # Everything this version of the feed listed is handled: a 304 next time is safe.
            self.state.save_validators(spec.url, feed.etag, feed.last_modified)
        return report

    def _failed(
        self, spec: FeedSpec, item: FeedItem, reason: str, detail: str, permanent: bool = False
    ) -> str:
        metrics.FEED_ITEMS.labels(reason).inc()
        gave_up = self.state.mark_failed(item.url, spec.url, reason, self.config.item_attempts, permanent)
        if gave_up:
            metrics.FEED_ITEMS.labels("gave_up").inc()
        log.warning(
            "feed item not ingested",
            extra={
                "feed": spec.name,
                "url": item.url,
                "reason": reason,
                "detail": detail[:300],
                "gave_up": gave_up,
            },
        )
        return "gave_up" if gave_up else "retry"

    async def _item(self, spec: FeedSpec, item: FeedItem) -> str:
        """accepted | retry (next poll) | gave_up."""
        async with self._pages:
            started = time.perf_counter()
            try:
                page = await self.fetcher.get(item.url, accept=PAGE_ACCEPT)
            except BlockedAddress as exc:
                _note_refusal(exc, spec, item.url, "item")
                return self._failed(spec, item, "blocked", str(exc), permanent=True)
            except FetchError as exc:
                return self._failed(spec, item, exc.reason, str(exc))
            finally:
                metrics.FEED_FETCH_SECONDS.labels("page").observe(time.perf_counter() - started)
        if page.status in GONE:
            return self._failed(spec, item, "gone", f"HTTP {page.status}", permanent=True)
        if not 200 <= page.status < 300:
            return self._failed(spec, item, "http_error", f"HTTP {page.status}")
        if page_format(page.content_type) is None:
            return self._failed(spec, item, "unsupported_type", f"{page.content_type}", permanent=True)
        if not page.body.strip():
            return self._failed(spec, item, "empty", "empty body", permanent=True)
        article = raw_article(spec, item, page)
        (result,) = await self.produce([article])
        if result is not None:
            metrics.FEED_ITEMS.labels("produce_failed").inc()
            log.warning(
                "feed item not acked; fetched again next poll",
                extra={
                    "feed": spec.name,
                    "url": item.url,
                    "reason": "produce_failed",
                    "detail": repr(result),
                },
            )
            return "retry"
        self.state.mark_acked(item.url, spec.url)
        metrics.FEED_ITEMS.labels("accepted").inc()
        return "accepted"
