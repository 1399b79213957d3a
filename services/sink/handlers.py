"""What each agent of the sink's two apps does with one message: pure functions from
bytes to `Step`s. The sink (services.sink.app) runs on_article, on_views, on_story and
on_related_list; the related worker (services.related.app) runs on_article_index,
on_index and on_offers.

The faust shell (services.sink.agents) hands a handler the message, a `read` function for
its table and `Here` (the message's partition, of how many); the handler returns the
table values to write (`Step.stores`, keys of that partition only) and the messages
to send (`Step.sends`). Batched messages (services.sink.wire) are handled as a
generator of small Steps, one per key or slice of scoring, so the shell can let HTTP
reads run between them; it writes nothing until the last Step is out, so a message
that fails midway leaves no trace. Each table key is read and written at most once
per message. Anything raised here becomes a news.dlq record with the app's stage ("sink" or
"related") and the partition goes on. No Kafka, no faust: unit tests call these directly.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

import msgspec

from services.core.codec import decode, encode
from services.core.exceptions import NewsflowError
from services.core.kafka.partitioner import group_by_partition, hash_partition
from services.core.models import Article, ArticleSummary, LatestView, RelatedList
from services.sink import views, wire

STORY_SIZE = 100  # articles kept per story, newest first

# Roles of the topics a step sends to; the shell maps them to topic names.
VIEWS, STORIES, INDEX, OFFERS, LATEST, RELATED = "views", "stories", "index", "offers", "latest", "related"
# Tables whose changelog is a published topic (role), in the app that publishes it:
# their values are that topic's messages, so writing a row publishes it. A view was
# stored once as a list and sent once more as a LatestView, the sink's largest output
# twice (~12 KB per article each); a related list likewise (~8 KB).
PUBLISHED_TABLES = {"latest": LATEST, "related": RELATED}

Read = Callable[[bytes], bytes | None]

_summary = msgspec.json.Decoder(ArticleSummary)
_summaries = msgspec.json.Decoder(list[ArticleSummary])
_view = msgspec.json.Decoder(LatestView)


class SinkError(NewsflowError):
    """A message the sink must not store (goes to news.dlq)."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Send:
    role: str
    key: bytes
    value: bytes
    partition: int | None = None  # a batch for one partition's keys; None: by key


@dataclass(frozen=True, slots=True)
class Step:
    """Table values to write (key, value) and messages to send, in order."""

    stores: list[tuple[bytes, bytes]] = field(default_factory=list)
    sends: list[Send] = field(default_factory=list)
    received_at: str | None = None  # the article's ingest time, for the e2e latency metric


@dataclass(frozen=True, slots=True)
class Here:
    """Where the message being handled lives: its table writes must stay on `partition`."""

    partition: int
    partitions: int

    def check(self, keys: Iterable[bytes]) -> None:
        """Refuse keys of another partition: their rows would be stored where no read looks."""
        for key in keys:
            if hash_partition(key, self.partitions) != self.partition:
                raise SinkError("wrong_partition", f"key {key!r} is not on partition {self.partition}")


def combined(steps: Iterable[Step]) -> Step:
    """All Steps of one message as one (tests and the offline simulation)."""
    stores: list[tuple[bytes, bytes]] = []
    sends: list[Send] = []
    received_at = None
    for step in steps:
        stores += step.stores
        sends += step.sends
        received_at = received_at or step.received_at
    return Step(stores, sends, received_at)


def decode_summaries(data: bytes | None) -> list[ArticleSummary]:
    return _summaries.decode(data) if data else []


def decode_view(data: bytes | None) -> list[ArticleSummary]:
    """A latest-table value's articles: a LatestView (news.latest's value), or the bare
    list earlier versions stored (still in a worker's RocksDB until rewritten)."""
    if not data:
        return []
    if data[:1] == b"[":
        return _summaries.decode(data)
    return _view.decode(data).articles


def batched(
    role: str, key: bytes, keys: list[str], partitions: int, pack: Callable[[list[str]], bytes]
) -> list[Send]:
    """One message per partition of `keys`, sent there, carrying that partition's keys."""
    groups = group_by_partition(((k, k) for k in keys), partitions)
    return [Send(role, key, pack(group), partition) for partition, group in groups.items()]


def checked_article(key: bytes | None, value: bytes) -> tuple[bytes, Article]:
    """A news.articles record both apps may use; anything else is a SinkError (-> DLQ)."""
    article = decode(value, Article)
    if key is None or key != article.id.encode():
        raise SinkError("key_mismatch", f"record key {key!r} is not the article id {article.id!r}")
    if article.dedupe is not None and article.dedupe.status == "duplicate":
        raise SinkError("duplicate", f"duplicate {article.id} on news.articles (belongs on news.duplicates)")
    return key, article


def on_article(key: bytes | None, value: bytes, stored: bytes | None, partitions: int) -> Step:
    """news.articles -> articles table (the sink); fan out to views and story."""
    key, article = checked_article(key, value)
    if views.is_stale(article, stored):
        return Step()
    summary = views.summarize(article)
    sends = batched(
        VIEWS,
        key,
        views.view_keys(article),
        partitions,
        lambda vs: encode(wire.ViewBatch(views=vs, summary=summary)),
    )
    if article.dedupe is not None and article.dedupe.story_id:
        sends.append(Send(STORIES, article.dedupe.story_id.encode(), encode(summary)))
    return Step(stores=[(key, value)], sends=sends, received_at=article.ingest.received_at)


def on_related_list(key: bytes | None, value: bytes, here: Here) -> Step:
    """news.related -> the sink's copy of the list (what its HTTP API reads).

    The related app publishes every change of a list; the copy is the last one. A
    tombstone (empty value) leaves the copy to the sink's retention.
    """
    if not value:
        return Step()
    published = decode(value, RelatedList)
    if key is None or key != published.id.encode():
        raise SinkError("key_mismatch", f"record key {key!r} is not the list's article id {published.id!r}")
    here.check([key])
    return Step(stores=[(key, value)])


def _merge(before: list[ArticleSummary], summary: ArticleSummary, limit: int) -> list[ArticleSummary] | None:
    """The merged list, or None when it did not change."""
    after = views.merge(before, summary, limit)
    return None if after == before else after


def on_views(key: bytes | None, value: bytes, read: Read, here: Here, size: int, now: str) -> Iterator[Step]:
    """views topic -> latest table: each changed view as its whole LatestView, which the
    table's changelog (news.latest, PUBLISHED_TABLES) publishes."""
    batch = wire.decode_views(key, value)
    names = [v.encode() for v in dict.fromkeys(batch.views)]
    here.check(names)
    for name in names:
        merged = _merge(decode_view(read(name)), batch.summary, size)
        if merged is None:
            continue
        yield Step(stores=[(name, encode(LatestView(view=name.decode(), updated_at=now, articles=merged)))])


def on_story(key: bytes, value: bytes, current: bytes | None) -> Step:
    """stories topic -> stories table (members of a story, newest first)."""
    merged = _merge(decode_summaries(current), _summary.decode(value), STORY_SIZE)
    return Step() if merged is None else Step(stores=[(key, msgspec.json.encode(merged))])
