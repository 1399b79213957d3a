"""Latest views: which views an article belongs to, and how a view list is kept.

Pure functions on plain data; the faust app stores the lists in a table keyed by view
name. Lists are ordered by publication time (newest first), not by arrival, so a late
arrival slots into its place; an update replaces the older version of the same id.
"""

from __future__ import annotations

from collections.abc import Iterable

import msgspec

from services.core.models import Article, ArticleSummary, Dedupe

OVERALL = "all"
FILTERS = ("topic", "country", "source", "section")


def view_key(kind: str, value: str) -> str:
    """`topic:medtop:11000000`, `country:AZ`, `source:trend`, `section:politics`."""
    if kind == "country":
        value = value.upper()
    elif kind in ("source", "section"):
        value = value.strip().lower()
    return f"{kind}:{value}"


def view_keys(article: Article) -> list[str]:
    keys = [OVERALL]
    keys += [view_key("topic", t.code) for t in article.topics or []]
    keys += [view_key("country", c) for c in article.countries or []]
    if article.source.name:
        keys.append(view_key("source", article.source.name))
    if article.section:
        keys.append(view_key("section", article.section))
    return list(dict.fromkeys(keys))


def matches(item: ArticleSummary, filters: Iterable[tuple[str, str]]) -> bool:
    """Does a listed article pass every (kind, value) filter (same normalization as the keys)?"""
    for kind, value in filters:
        wanted = view_key(kind, value).partition(":")[2]
        if kind == "topic" and wanted not in item.topics:
            return False
        if kind == "country" and wanted not in {c.upper() for c in item.countries}:
            return False
        if kind == "source" and view_key(kind, item.source or "").partition(":")[2] != wanted:
            return False
        if kind == "section" and view_key(kind, item.section or "").partition(":")[2] != wanted:
            return False
    return True


def summarize(article: Article) -> ArticleSummary:
    return ArticleSummary(
        id=article.id,
        title=article.title,
        url=article.canonical_url or article.url,
        source=article.source.name,
        published_at=article.published_at or article.ingest.received_at,
        section=article.section,
        topics=[t.code for t in article.topics or []],
        countries=list(article.countries or []),
        story_id=article.dedupe.story_id if article.dedupe else None,
        version=version_of(article),
        received_at=article.ingest.received_at,
    )


def _order(item: ArticleSummary) -> tuple[str, str]:
    return (item.published_at or "", item.id)


def merge(current: list[ArticleSummary], item: ArticleSummary, limit: int) -> list[ArticleSummary]:
    """Insert/replace `item`, keep newest first, keep at most `limit`.

    Versions of one article can arrive out of order (an update may overtake its
    original through the deduper), so a lower version never replaces a higher one.
    """
    if any(a.id == item.id and a.version > item.version for a in current):
        return current
    kept = [a for a in current if a.id != item.id]
    kept.append(item)
    kept.sort(key=_order, reverse=True)
    return kept[:limit]


def page(
    items: list[ArticleSummary], limit: int, cursor: str | None
) -> tuple[list[ArticleSummary], str | None]:
    """Keyset pagination: `cursor` is the `published_at|id` of the last item seen."""
    if cursor:
        published, _, last_id = cursor.partition("|")
        items = [a for a in items if _order(a) < (published, last_id)]
    chosen = items[:limit]
    more = len(items) > limit
    next_cursor = f"{chosen[-1].published_at}|{chosen[-1].id}" if more and chosen else None
    return chosen, next_cursor


def version_of(article: Article) -> int:
    return article.dedupe.version if article.dedupe else 1


class _Versioned(msgspec.Struct):
    """Just the dedupe version of a stored article: decoding the whole body is wasted work."""

    dedupe: Dedupe | None = None


_versioned = msgspec.json.Decoder(_Versioned)


def is_stale(article: Article, stored: bytes | None) -> bool:
    """True when the table already holds a newer version of this article."""
    if stored is None:
        return False
    dedupe = _versioned.decode(stored).dedupe
    return (dedupe.version if dedupe else 1) > version_of(article)
