"""Messages on the deduper's internal topics (the partitioned design in decide.py).

  `<group>-index`  one partition's keys: Lookups (phase 1: read), Updates (phase 3: write)
  `<group>-gather` key = gather key:     ArticleIn (phase 0), Replies (phase 1 answers)

An article has ~30 index keys; they are batched per index partition (the partition a
keyed send would pick, services.core.kafka.partitioner), so an article costs at most
one Lookups, one Replies and one Updates per partition instead of one of each per key.
One index topic carries both reads and writes so the four index tables follow one
topic's partitions and a key's reads and writes are applied in arrival order.
Every message carries `now` (the article's ingest time), so a replayed batch gives
the same verdicts and writes as the first run. The single-key forms (Lookup, Update,
Reply) of earlier versions are still read, so an upgrade needs no drained topics.
"""

from __future__ import annotations

from typing import Any

import msgspec

from services.deduper.index import TableName


class Lookups(msgspec.Struct, tag="lookups"):
    keys: list[tuple[TableName, str]]  # all on the message's partition
    reply_to: str  # gather key
    now: str


class Updates(msgspec.Struct, tag="updates"):
    items: list[tuple[TableName, str, Any]]  # (table, key, value), all on this partition
    now: str


class Replies(msgspec.Struct, tag="replies"):
    items: list[tuple[TableName, str, list[Any]]]  # (table, key, live entries)


class Lookup(msgspec.Struct, tag="lookup"):  # earlier versions: one key per message
    table: TableName
    key: str
    reply_to: str  # gather key
    now: str


class Update(msgspec.Struct, tag="update"):  # earlier versions
    table: TableName
    key: str
    value: Any
    now: str


class ArticleIn(msgspec.Struct, tag="article"):
    article: msgspec.Raw
    expected: int  # how many reply messages complete this article
    now: str


class Reply(msgspec.Struct, tag="reply"):  # earlier versions
    table: TableName
    key: str
    entries: list[Any]


class Pending(msgspec.Struct):
    """Gather state of one article: what arrived so far (a changelog table value).

    The article itself is stored once under its own key (`article_key`), not in here:
    this value is rewritten on every reply, and copying a whole article into the
    changelog each time cost more than the lookups themselves. Earlier versions kept
    it in `article`; such values are still read.
    """

    article: msgspec.Raw = msgspec.field(default_factory=lambda: msgspec.Raw(b"null"))  # no Raw|None
    expected: int = -1  # set by ArticleIn: the article has arrived
    now: str = ""
    received: int = 0
    replies: dict[str, dict[str, list[Any]]] = msgspec.field(default_factory=dict)

    def complete(self) -> bool:
        return self.expected >= 0 and self.received >= self.expected


def article_key(gather_key: bytes) -> bytes:
    """Where the gather table keeps the article of a pending gather key."""
    return b"article:" + gather_key


IndexMessage = Lookups | Updates | Lookup | Update
GatherMessage = ArticleIn | Replies | Reply

index_decoder = msgspec.json.Decoder(IndexMessage)
gather_decoder = msgspec.json.Decoder(GatherMessage)
pending_decoder = msgspec.json.Decoder(Pending)
encode = msgspec.json.Encoder().encode
