"""What each sink agent does with one message: pure functions from bytes to a `Step`.

The faust shell (services.sink.app) reads the table value for the message key, calls
one of these, writes `Step.store` back under the same key (so on the partition that owns
it) and sends `Step.sends`. Anything raised here becomes a news.dlq record with stage
"sink" and the partition goes on. No Kafka, no faust: unit tests call these directly.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import msgspec

from services.core.codec import decode, encode
from services.core.exceptions import NewsflowError
from services.core.models import Article, ArticleSummary, LatestView, RelatedList
from services.sink import candidates, views
from services.sink.related import features

STORY_SIZE = 100  # articles kept per story, newest first

# Roles of the topics a step sends to; the shell maps them to topic names.
VIEWS, STORIES, INDEX, OFFERS, LATEST, RELATED = "views", "stories", "index", "offers", "latest", "related"

_summary = msgspec.json.Decoder(ArticleSummary)
_summaries = msgspec.json.Decoder(list[ArticleSummary])


class SinkError(NewsflowError):
    """A news.articles message the sink must not store (goes to news.dlq)."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Send:
    role: str
    key: bytes
    value: bytes


@dataclass(frozen=True, slots=True)
class Step:
    """The new table value (None: leave it) and the messages to send, in order."""

    store: bytes | None = None
    sends: list[Send] = field(default_factory=list)
    received_at: str | None = None  # the article's ingest time, for the e2e latency metric


def decode_summaries(data: bytes | None) -> list[ArticleSummary]:
    return _summaries.decode(data) if data else []


def on_article(key: bytes | None, value: bytes, stored: bytes | None) -> Step:
    """news.articles -> articles table; fan out to views, story, related index keys."""
    article = decode(value, Article)
    if key != article.id.encode():
        raise SinkError("key_mismatch", f"record key {key!r} is not the article id {article.id!r}")
    if article.dedupe is not None and article.dedupe.status == "duplicate":
        raise SinkError("duplicate", f"duplicate {article.id} on news.articles (belongs on news.duplicates)")
    if views.is_stale(article, stored):
        return Step()
    summary = encode(views.summarize(article))
    sends = [Send(VIEWS, view.encode(), summary) for view in views.view_keys(article)]
    if article.dedupe is not None and article.dedupe.story_id:
        sends.append(Send(STORIES, article.dedupe.story_id.encode(), summary))
    extract = features(article)
    packed = encode(extract)
    sends += [Send(INDEX, k.encode(), packed) for k in candidates.index_keys(extract)]
    return Step(store=value, sends=sends, received_at=article.ingest.received_at)


def _merge(current: bytes | None, value: bytes, limit: int) -> list[ArticleSummary] | None:
    """The merged list, or None when it did not change."""
    before = decode_summaries(current)
    after = views.merge(before, _summary.decode(value), limit)
    return None if after == before else after


def on_view(key: bytes, value: bytes, current: bytes | None, size: int, now: str) -> Step:
    """views topic -> latest table, and the whole list to news.latest when it changed."""
    merged = _merge(current, value, size)
    if merged is None:
        return Step()
    snapshot = LatestView(view=key.decode(), updated_at=now, articles=merged)
    return Step(store=msgspec.json.encode(merged), sends=[Send(LATEST, key, encode(snapshot))])


def on_story(key: bytes, value: bytes, current: bytes | None) -> Step:
    """stories topic -> stories table (members of a story, newest first)."""
    merged = _merge(current, value, STORY_SIZE)
    return Step() if merged is None else Step(store=msgspec.json.encode(merged))


def on_index(key: bytes, value: bytes, current: bytes | None, k: int) -> Step:
    """rel-index topic -> pool table; offers to the new article and to its best matches."""
    new = candidates.decode_features(value)
    pool = candidates.decode_pool(current)
    joined = candidates.join_pool(pool, new)
    if joined is None:
        return Step()
    offers = candidates.score_in_pool(new, pool, k)
    return Step(store=encode_list(joined), sends=[Send(OFFERS, o.target.encode(), encode(o)) for o in offers])


def on_offer(key: bytes, value: bytes, current: bytes | None, k: int, now: str) -> Step:
    """rel-offers topic -> related table, and news.related when the list changed."""
    offer = candidates.decode_offer(value)
    if key != offer.target.encode():
        raise SinkError("key_mismatch", f"offer for {offer.target!r} keyed {key!r}")
    state = candidates.apply_offer(candidates.decode_state(current), offer, k, now)
    if state is None:
        return Step()
    published = RelatedList(id=offer.target, updated_at=now, related=state.related)
    return Step(store=encode(state), sends=[Send(RELATED, key, encode(published))])


def encode_list(items: list[candidates.Features]) -> bytes:
    return msgspec.json.encode(items)
