"""Wire the feed poller into the ingest service (an aiohttp cleanup_ctx) and the CLI.

The feeds file is read when the app is built, so a bad file stops start-up with its
message instead of a service that runs and never polls.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path

from aiohttp import web

from services.core.settings import IngestSettings
from services.ingest.feeds.config import load_feeds
from services.ingest.feeds.fetch import FetchPolicy, SafeFetcher
from services.ingest.feeds.poller import FeedPoller, PollerConfig, Produce
from services.ingest.feeds.state import FeedState

log = logging.getLogger(__name__)


def state_path(settings: IngestSettings) -> Path:
    return settings.data_dir / "ingest" / "feeds" / "state.sqlite3"


def fetch_policy(settings: IngestSettings) -> FetchPolicy:
    return FetchPolicy(
        allow_private=settings.feeds_allow_private,
        timeout_s=settings.feeds_timeout_s,
        max_bytes=min(settings.feeds_max_bytes, settings.max_body_bytes),
        max_redirects=settings.feeds_max_redirects,
        retries=settings.feeds_retries,
        per_host=settings.feeds_per_host,
    )


def poller_config(settings: IngestSettings) -> PollerConfig:
    return PollerConfig(
        default_interval_s=settings.feeds_interval_s,
        jitter=settings.feeds_jitter,
        max_items_per_poll=settings.feeds_max_items_per_poll,
        item_attempts=settings.feeds_item_attempts,
        page_concurrency=settings.feeds_concurrency,
    )


def _log_end(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("feed poller stopped", exc_info=task.exception())


def attach(app: web.Application, settings: IngestSettings, produce: Produce) -> None:
    """Poll the configured feeds while `app` runs (no-op without NEWSFLOW_FEEDS_FILE)."""
    if settings.feeds_file is None:
        return
    specs = load_feeds(settings.feeds_file)

    async def feeds_ctx(_: web.Application) -> AsyncIterator[None]:
        state = FeedState(state_path(settings))
        fetcher = SafeFetcher(fetch_policy(settings))
        poller = FeedPoller(specs, state, fetcher, produce, poller_config(settings))
        task = asyncio.create_task(poller.run(), name="feed-poller")
        task.add_done_callback(_log_end)
        log.info(
            "feed poller started",
            extra={
                "feeds": len(specs),
                "allow_private": settings.feeds_allow_private,
                "state": str(state.path),
            },
        )
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
            await fetcher.aclose()
            state.close()

    app.cleanup_ctx.append(feeds_ctx)
