"""RSS/Atom bytes -> feed items: pure (feedparser on bytes, never on a URL).

feedparser fetches by itself when handed a URL string, which would bypass the SSRF
guard, timeouts and size limits; so it only ever sees bytes the fetcher returned.
An item is identified by its absolute http(s) link: that is the page we fetch and the
key of the seen-state, so an item that reappears (or moves between feeds) is fetched once.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urldefrag, urljoin, urlsplit

import feedparser

from services.core.clock import utc_iso


class MalformedFeed(ValueError):
    """The body is not an RSS/Atom feed feedparser can read."""


@dataclass(frozen=True)
class FeedItem:
    url: str  # absolute http(s) link, fragment removed
    title: str | None = None
    published_at: str | None = None  # RFC 3339 UTC when the feed gave a readable date
    guid: str | None = None


@dataclass(frozen=True)
class ParsedFeed:
    items: list[FeedItem]
    no_link: int  # entries without a usable http(s) link (nothing to fetch)
    title: str | None = None


def _when(entry: Any) -> str | None:
    for key in ("published_parsed", "updated_parsed"):
        value = entry.get(key)
        if isinstance(value, time.struct_time):
            try:
                return utc_iso(datetime(*value[:6], tzinfo=UTC))
            except (ValueError, OverflowError):
                continue
    return None


def _link(entry: Any, base_url: str) -> str | None:
    candidates = [entry.get("link")]
    candidates += [link.get("href") for link in entry.get("links", []) if link.get("rel") == "alternate"]
    for candidate in candidates:
        if not isinstance(candidate, str) or not candidate.strip():
            continue
        url = urldefrag(urljoin(base_url, candidate.strip())).url
        if urlsplit(url).scheme in ("http", "https") and urlsplit(url).hostname:
            return url
    return None


def _text(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def parse_feed(body: bytes, base_url: str, content_type: str | None = None) -> ParsedFeed:
    """Items in feed order, each link once; raises MalformedFeed when nothing usable is there."""
    headers = {"content-location": base_url}
    if content_type:
        headers["content-type"] = content_type
    parsed = feedparser.parse(body, response_headers=headers)
    items: list[FeedItem] = []
    seen: set[str] = set()
    no_link = 0
    for entry in parsed.entries:
        url = _link(entry, base_url)
        if url is None:
            no_link += 1
            continue
        if url in seen:
            continue
        seen.add(url)
        items.append(
            FeedItem(
                url=url,
                title=_text(entry.get("title")),
                published_at=_when(entry),
                guid=_text(entry.get("id")),
            )
        )
    # feedparser is lenient: a feed with a glitch but usable items is used; nothing usable
    # from a body that is not well-formed or has no RSS/Atom root is a malformed feed.
    problem = parsed.get("bozo_exception")
    broken = parsed.get("bozo") and not isinstance(problem, feedparser.ThingsNobodyCaresAboutButMe)
    if not items and (broken or not parsed.get("version")):
        why = problem if broken else "no RSS/Atom root element"
        raise MalformedFeed(f"not a readable feed: {str(why)[:200]}")
    return ParsedFeed(items=items, no_link=no_link, title=_text(parsed.get("feed", {}).get("title")))
