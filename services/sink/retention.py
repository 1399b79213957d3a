"""Retention: which sink table entries are past the window and may be deleted.

Why: without it the articles, related, stories and pool tables grow with every article
ever seen; with it, state (RocksDB on disk and the compacted changelogs) stays flat at
about one window of articles, like the deduper's index.

Every rule counts from when newsflow *received* an article (its ingest time), never
from its publication date, so a backfill of old archives is kept for a full window
too. An entry goes when nothing in it is younger than the cutoff:
  articles[id]  the stored version's ingest time
  related[id]   the last time its list changed
  stories[id]   the newest member's ingest time
  pool[key]     the newest member's ingest time
  pool[feat:..] the stored Features' ingest time (a pool member without them is no
                longer scored: nothing older than the window is offered as related)
The faust shell (services.sink.app) sweeps each worker's own partitions on a timer and
deletes what these functions call expired; a delete is a changelog tombstone, so a
restarted or moved worker does not bring the entry back.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import msgspec

from services.core.clock import parse_utc


class _Ingest(msgspec.Struct):
    received_at: str


class _ArticleTimes(msgspec.Struct):
    """Only what retention reads of a stored article (msgspec skips the rest)."""

    ingest: _Ingest


class _RelatedTimes(msgspec.Struct):
    updated_at: str


class _MemberTimes(msgspec.Struct):
    """A story member (ArticleSummary) or a pool member (Features), times only."""

    received_at: str | None = None  # ArticleSummary
    received: str | None = None  # Features
    published_at: str | None = None  # ArticleSummary before `received_at` existed
    when: str | None = None  # Features before `received` existed

    def seen(self) -> str | None:
        return self.received_at or self.received or self.published_at or self.when


_article = msgspec.json.Decoder(_ArticleTimes)
_related = msgspec.json.Decoder(_RelatedTimes)


class _RefTimes(msgspec.Struct, array_like=True):
    """A pool reference (services.related.candidates.PoolRef), times only."""

    id: str
    version: int
    when: str | None
    received: str | None

    def seen(self) -> str | None:
        return self.received or self.when


_members = msgspec.json.Decoder(list[_MemberTimes])
_refs = msgspec.json.Decoder(list[_RefTimes])
_one = msgspec.json.Decoder(_MemberTimes)

Expired = Callable[[bytes, datetime], bool]


def cutoff(now: datetime, days: float) -> datetime:
    return now - timedelta(days=days)


def _older(stamp: str | None, limit: datetime) -> bool:
    """Unknown or unreadable times count as old: an entry nobody can date is not kept forever."""
    if not stamp:
        return True
    try:
        return parse_utc(stamp) < limit
    except ValueError:
        return True


def article_expired(value: bytes, limit: datetime) -> bool:
    return _older(_article.decode(value).ingest.received_at, limit)


def related_expired(value: bytes, limit: datetime) -> bool:
    return _older(_related.decode(value).updated_at, limit)


def members_expired(value: bytes, limit: datetime) -> bool:
    """Stories and pools: expired when no member was seen after the cutoff."""
    return all(_older(member.seen(), limit) for member in _members.decode(value))


def pool_expired(value: bytes, limit: datetime) -> bool:
    """A pool (references, or Features inline in older versions) or one stored Features."""
    if value.startswith(b"{"):
        return _older(_one.decode(value).seen(), limit)
    if value.startswith(b"[{"):
        return members_expired(value, limit)
    return all(_older(ref.seen(), limit) for ref in _refs.decode(value))


RULES: dict[str, Expired] = {
    "articles": article_expired,
    "related": related_expired,
    "stories": members_expired,
    "pool": pool_expired,
}


def is_expired(table: str, value: bytes, limit: datetime) -> bool:
    """The rule of `table`; a value that cannot be decoded is expired (never kept forever)."""
    try:
        return RULES[table](value, limit)
    except (msgspec.DecodeError, msgspec.ValidationError, UnicodeDecodeError):
        return True  # msgspec raises UnicodeDecodeError for invalid UTF-8 inside a string
