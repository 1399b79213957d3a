"""A fetched item page -> the RawArticle put on news.raw: pure.

The feed's metadata travels as hints (the normalizer uses title, published_at, source,
section when the page itself lacks them) and the HTTP facts as `ingest.fetch`, so a
record on news.raw says where it came from and what the server answered.
"""

from __future__ import annotations

from services.core.models import RawArticle
from services.ingest.decode import decode_page, media_type
from services.ingest.feeds.config import FeedSpec
from services.ingest.feeds.fetch import Fetched
from services.ingest.feeds.parse import FeedItem
from services.ingest.requests import new_ingest

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml", ""})
TEXT_TYPES = frozenset({"text/plain"})


def page_format(content_type: str | None) -> str | None:
    """html / text for pages we can ingest, None for anything else (PDF, images, ...)."""
    kind = media_type(content_type)
    if kind in HTML_TYPES:
        return "html"
    if kind in TEXT_TYPES:
        return "text"
    return None


def hints(spec: FeedSpec, item: FeedItem) -> dict[str, str]:
    values = {
        "source": spec.source,
        "section": spec.section,
        "feed_url": spec.url,
        "title": item.title,
        "published_at": item.published_at,
        "guid": item.guid,
    }
    return {key: value for key, value in values.items() if value}


def fetch_meta(spec: FeedSpec, page: Fetched) -> dict[str, str]:
    values = {
        "status": str(page.status),
        "url": page.url,
        "final_url": page.final_url,
        "etag": page.etag,
        "last_modified": page.last_modified,
        "content_type": page.content_type,
        "feed_url": spec.url,
        "feed": spec.name,
        "redirects": str(page.redirects),
    }
    return {key: value for key, value in values.items() if value}


def raw_article(spec: FeedSpec, item: FeedItem, page: Fetched) -> RawArticle:
    fmt = page_format(page.content_type) or "html"
    content = decode_page(page.body, page.content_type)
    return RawArticle(
        ingest=new_ingest(content, "feed", fetch_meta(spec, page)),
        content=content,
        format=fmt,  # type: ignore[arg-type]
        url=page.final_url,
        source=spec.source,
        fetched_at=page.fetched_at,
        hints=hints(spec, item),
    )
