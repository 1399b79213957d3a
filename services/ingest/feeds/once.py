"""`newsflow ingest feed URL... [--once]`: poll feeds by hand, through the ingest API.

Items are posted to the API (`X-Ingest-Source: feed`, with hints and fetch metadata)
rather than produced straight to Kafka: the command then needs no broker credentials,
goes through the same validation, auth, produce path and metrics as everything else,
and an item counts as done only when the API answered 202 (= broker acked). It uses the
same fetcher (SSRF guard, limits: NEWSFLOW_FEEDS_* settings) and, by default, the same
seen-state file as the service (NEWSFLOW_DATA_DIR/ingest/feeds/), so items the service
already ingested are not fetched again; `--state-dir` keeps a separate one.
"""

from __future__ import annotations

import asyncio
import sys
from dataclasses import asdict
from pathlib import Path

import httpx
import orjson
from pydantic import ValidationError

from services.core import jsonlog
from services.core.models import RawArticle
from services.core.settings import IngestSettings
from services.ingest.feeds.config import FeedSpec
from services.ingest.feeds.fetch import SafeFetcher
from services.ingest.feeds.poller import FeedPoller, Produce
from services.ingest.feeds.service import fetch_policy, poller_config, state_path
from services.ingest.feeds.state import FeedState
from services.ingest.sources import HEADER


class ApiRefused(Exception):
    """The ingest API did not answer 202."""


def api_payload(article: RawArticle) -> dict[str, object]:
    payload = {
        "content": article.content,
        "format": article.format,
        "url": article.url,
        "source": article.source,
        "fetched_at": article.fetched_at,
        "hints": article.hints,
        "fetch": article.ingest.fetch,
    }
    return {key: value for key, value in payload.items() if value is not None}


def api_produce(client: httpx.AsyncClient, api: str, token: str | None) -> Produce:
    headers = {HEADER: "feed"}
    if token:
        headers["Authorization"] = f"Bearer {token}"

    async def one(article: RawArticle) -> BaseException | None:
        for attempt in range(4):
            try:
                response = await client.post(f"{api}/v1/articles", json=api_payload(article), headers=headers)
            except httpx.HTTPError as exc:
                error: BaseException = exc
            else:
                if response.status_code == 202:
                    return None
                error = ApiRefused(f"HTTP {response.status_code}: {response.text[:300]}")
                if response.status_code not in (429, 503):
                    return error
            await asyncio.sleep(0.5 * 2**attempt)
        return error

    async def produce(articles: list[RawArticle]) -> list[BaseException | None]:
        return list(await asyncio.gather(*(one(a) for a in articles)))

    return produce


async def _run(
    specs: list[FeedSpec], settings: IngestSettings, api: str, once: bool, token: str | None, state_file: Path
) -> int:
    state = FeedState(state_file)
    fetcher = SafeFetcher(fetch_policy(settings))
    try:
        async with httpx.AsyncClient(timeout=60, trust_env=False) as client:
            poller = FeedPoller(
                specs, state, fetcher, api_produce(client, api, token), poller_config(settings)
            )
            if not once:
                await poller.run()
                return 0
            failed = 0
            for spec in specs:
                report = await poller.poll(spec)
                sys.stdout.write(orjson.dumps(asdict(report)).decode() + "\n")
                failed += (not report.ok) or report.retry > 0
            return 1 if failed else 0
    finally:
        await fetcher.aclose()
        state.close()


def run_feed(
    urls: list[str],
    *,
    api: str,
    once: bool,
    source: str | None = None,
    section: str | None = None,
    interval_s: float | None = None,
    state_dir: Path | None = None,
    token: str | None = None,
) -> int:
    """Exit 0 when every feed polled fine and every new item was accepted, 1 otherwise, 2 on usage."""
    if not urls:
        print("usage: newsflow ingest feed URL... [--once]", file=sys.stderr)
        return 2
    settings = IngestSettings()
    jsonlog.setup("ingest-feed", settings.log_level)
    try:
        specs = [FeedSpec(url=u, source=source, section=section, interval_s=interval_s) for u in urls]
    except ValidationError as exc:
        print(f"error: {exc.errors()[0]['msg']}", file=sys.stderr)
        return 2
    state_file = state_dir / "state.sqlite3" if state_dir else state_path(settings)
    try:
        return asyncio.run(_run(specs, settings, api.rstrip("/"), once, token, state_file))
    except KeyboardInterrupt:
        return 130
