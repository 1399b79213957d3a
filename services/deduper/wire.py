"""Messages on the deduper's internal topics (the partitioned design in decide.py).

  `<group>-index`  key = index key:  Lookup (phase 1: read) and Update (phase 3: write)
  `<group>-gather` key = gather key: ArticleIn (phase 0) and Reply (phase 1 answers)

One index topic carries both reads and writes so the four index tables follow one
topic's partitions and a key's reads and writes are applied in arrival order.
Every message carries `now` (the article's ingest time), so a replayed batch gives
the same verdicts and writes as the first run.
"""

from __future__ import annotations

from typing import Any

import msgspec

from services.deduper.index import TableName


class Lookup(msgspec.Struct, tag="lookup"):
    table: TableName
    key: str
    reply_to: str  # gather key
    now: str


class Update(msgspec.Struct, tag="update"):
    table: TableName
    key: str
    value: Any
    now: str


class ArticleIn(msgspec.Struct, tag="article"):
    article: msgspec.Raw
    expected: int  # how many Replies complete this article
    now: str


class Reply(msgspec.Struct, tag="reply"):
    table: TableName
    key: str
    entries: list[Any]


class Pending(msgspec.Struct):
    """Gather state of one article: what arrived so far (a changelog table value)."""

    article: msgspec.Raw = msgspec.field(default_factory=lambda: msgspec.Raw(b"null"))  # no Raw|None
    expected: int = -1
    now: str = ""
    received: int = 0
    replies: dict[str, dict[str, list[Any]]] = msgspec.field(default_factory=dict)

    def complete(self) -> bool:
        return bytes(self.article) != b"null" and self.received >= self.expected


IndexMessage = Lookup | Update
GatherMessage = ArticleIn | Reply

index_decoder = msgspec.json.Decoder(IndexMessage)
gather_decoder = msgspec.json.Decoder(GatherMessage)
pending_decoder = msgspec.json.Decoder(Pending)
encode = msgspec.json.Encoder().encode
