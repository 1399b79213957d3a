"""An RSS/Atom item, or a feed holding one article, via feedparser.

The item's content (or summary) is HTML more often than not, so its paragraphs go
through the same fragment reader the JSON path uses. A feed with several items is not
one article: the first item is taken and a warning says how many were ignored (ingest
splits feeds into items; a whole feed here is a caller mistake, not a crash).
"""

from __future__ import annotations

import re
from typing import Any

import feedparser

from .dates import parse_date
from .exceptions import NotAnArticle
from .html import paragraphs_from_fragment
from .parts import Parts
from .textdump import split_authors

__all__ = ["parse_feed"]


def _wrap(content: str) -> str:
    """A bare <item>/<entry> becomes a one-item feed feedparser understands."""
    head = content.lstrip()[:200].lower()
    if head.startswith("<item"):
        return f"<rss version='2.0'><channel>{content}</channel></rss>"
    if head.startswith("<entry"):
        return f"<feed xmlns='http://www.w3.org/2005/Atom'>{content}</feed>"
    return content


_ITEM_END = re.compile(r"</(?:item|entry)\s*>", re.I)


def _first_item(content: str) -> tuple[str, int]:
    """The feed cut after its first item, and how many items it had: feedparser costs
    ~0.2 ms per item, so a 20 MB feed must not be parsed whole to read one article."""
    lowered_count = content.count("<item") + content.count("<entry")
    end = _ITEM_END.search(content)
    if lowered_count <= 1 or end is None:
        return content, lowered_count
    return content[: end.end()], lowered_count


def parse_feed(content: str) -> Parts:
    content, count = _first_item(content)
    parsed: Any = feedparser.parse(_wrap(content), sanitize_html=False, resolve_relative_uris=False)
    entries = parsed.get("entries") or []
    if not entries:
        raise NotAnArticle("feed has no item")
    parts = Parts(format="feed", extractor="feedparser")
    if max(count, len(entries)) > 1:
        parts.warn(f"feed has {max(count, len(entries))} items; only the first was normalized")
    entry = entries[0]
    parts.title = (entry.get("title") or "").strip() or None
    parts.url = entry.get("link")
    parts.site_name = (parsed.get("feed") or {}).get("title")
    parts.language = (parsed.get("feed") or {}).get("language")
    authors = [a.get("name") for a in entry.get("authors") or [] if a.get("name")]
    if not authors and entry.get("author"):
        authors = [entry["author"]]
    parts.authors = [n for a in authors for n in split_authors(a)]
    parts.published = parse_date(entry.get("published") or entry.get("updated"))
    if entry.get("updated") and entry.get("published"):
        parts.updated = parse_date(entry.get("updated"))
    tags = entry.get("tags") or []
    if tags and tags[0].get("term"):
        parts.section = tags[0]["term"]
    contents = entry.get("content") or []
    html = contents[0].get("value") if contents else entry.get("summary") or ""
    parts.paragraphs = paragraphs_from_fragment(html) if html else []
    summary = entry.get("summary")
    if contents and summary:
        lead = paragraphs_from_fragment(summary)
        if lead and lead[0] not in parts.paragraphs[:2]:
            parts.subtitle = lead[0]
    media = entry.get("media_content") or []
    parts.photo_count = sum(1 for m in media if str(m.get("medium", "image")) == "image")
    parts.video = any(str(m.get("medium")) == "video" for m in media)
    return parts
