"""Messages on the deduper's internal topics (the partitioned design in decide.py).

  `<group>-index`  one partition's keys: Lookups (phase 1: read), Updates (phase 3: write)
  `<group>-gather` key = gather key:     ArticleIn (phase 0), Replies (phase 1 answers)

An article has ~30 index keys; they are batched per index partition (the partition a
keyed send would pick, services.core.kafka.partitioner), so an article costs at most
one Lookups, one Replies and one Updates per partition instead of one of each per key;
the stage then sends all of a transaction's messages to one partition as one record
(an envelope, services.core.streaming.envelope), so a Kafka record carries many articles'.
One index topic carries both reads and writes so the four index tables follow one
topic's partitions and a key's reads and writes are applied in arrival order.
An Updates message carries the article's band entry once, and references to it from
its band keys (services.deduper.references).
Every message carries `now` (the article's ingest time), so a replayed batch gives
the same verdicts and writes as the first run. Lookups may carry an entry to hold and
Updates entries to release (decide.py "Consistency"); both fields default to empty, so
messages of earlier versions read as before, and an earlier version ignores them. The
single-key forms (Lookup, Update, Reply) of earlier versions are still read, so an
upgrade needs no drained topics.

ArticleIn also carries the fingerprint and lookup keys phase 0 computed (`Prepared`):
phase 2 needs both again, and shipping them (per Reuters article ~6 us to encode, ~20
us to decode: base64 arrays into numpy views) is >10x cheaper than computing them a
second time (~270 us fingerprint with a warm token cache, ~35 us keys), for ~3.4 KB
more in the ArticleIn and the gather state. An ArticleIn of an earlier version has
none; phase 2 then computes them as before, to the same values.
"""

from __future__ import annotations

from typing import Any

import msgspec
import numpy as np

from services.deduper.decide import LookupKeys
from services.deduper.fingerprint import Fingerprint, Prose, Sketch
from services.deduper.index import TableName

_NULL = b"null"


class Lookups(msgspec.Struct, tag="lookups"):
    keys: list[tuple[TableName, str]]  # all on the message's partition
    reply_to: str  # gather key
    now: str
    # (bands key, held entry) to hold after reading (index.hold); none from earlier versions
    hold: list[tuple[str, Any]] = msgspec.field(default_factory=list)


class Updates(msgspec.Struct, tag="updates"):
    items: list[tuple[TableName, str, Any]]  # (table, key, value), all on this partition
    now: str
    # (bands key, article id): a duplicate's held entries to drop (index.release)
    release: list[tuple[str, str]] = msgspec.field(default_factory=list)


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
    # encoded Prepared, passed through to Pending undecoded; null from earlier versions
    prepared: msgspec.Raw = msgspec.field(default_factory=lambda: msgspec.Raw(_NULL))


class Reply(msgspec.Struct, tag="reply"):  # earlier versions
    table: TableName
    key: str
    entries: list[Any]


class Pending(msgspec.Struct):
    """Gather state of one article: what arrived so far (a changelog table value).

    The article itself is stored once under its own key (`article_key`), not in here:
    this value is rewritten on every reply and goes to the changelog in every
    transaction that got one, and copying a whole article each time cost more than the
    lookups themselves. Earlier versions kept it in `article`; such values are still
    read. `prepared` is kept as the bytes ArticleIn brought, decoded once, by phase 2.
    """

    article: msgspec.Raw = msgspec.field(default_factory=lambda: msgspec.Raw(_NULL))  # no Raw|None
    expected: int = -1  # set by ArticleIn: the article has arrived
    now: str = ""
    received: int = 0
    replies: dict[str, dict[str, list[Any]]] = msgspec.field(default_factory=dict)
    prepared: msgspec.Raw = msgspec.field(default_factory=lambda: msgspec.Raw(_NULL))  # from ArticleIn

    def complete(self) -> bool:
        return self.expected >= 0 and self.received >= self.expected


class _Sketch(msgspec.Struct, array_like=True):
    sig: bytes  # uint32
    lead: bytes  # uint32
    prefixes: tuple[str, ...]


class _Prose(msgspec.Struct, array_like=True):
    content_hash: str
    n_shingles: int
    sketch: _Sketch
    positions: bytes  # int64


class Prepared(msgspec.Struct, array_like=True):
    """Phase 0's fingerprint and lookup keys, as phase 2 needs them (exact: arrays as
    raw little-endian bytes, so the verdict is the one a recomputation would give)."""

    content_hash: str
    n_tokens: int
    n_shingles: int
    sketch: _Sketch
    positions: bytes  # int64
    terms: bytes  # uint32
    names: tuple[str, ...]
    time: int
    prose: _Prose | None
    bands: list[str]
    story_names: list[str]
    urls: list[str]

    @classmethod
    def of(cls, fp: Fingerprint, keys: LookupKeys) -> Prepared:
        prose = fp.prose
        return cls(
            fp.content_hash,
            fp.n_tokens,
            fp.n_shingles,
            _sketch_out(fp.sketch),
            _positions_out(fp.positions),
            _u32_out(fp.terms),
            fp.names,
            fp.time,
            None
            if prose is None
            else _Prose(
                prose.content_hash,
                prose.n_shingles,
                _sketch_out(prose.sketch),
                _positions_out(prose.positions),
            ),
            keys.bands,
            keys.names,
            keys.urls,
        )

    def unpack(self) -> tuple[Fingerprint, LookupKeys]:
        prose = self.prose
        fp = Fingerprint(
            content_hash=self.content_hash,
            n_tokens=self.n_tokens,
            n_shingles=self.n_shingles,
            sketch=_sketch_in(self.sketch),
            positions=_positions_in(self.positions),
            terms=_u32_in(self.terms),
            names=self.names,
            time=self.time,
            prose=None
            if prose is None
            else Prose(
                prose.content_hash, prose.n_shingles, _sketch_in(prose.sketch), _positions_in(prose.positions)
            ),
        )
        return fp, LookupKeys(self.bands, self.story_names, self.urls)


_U32, _I64 = np.dtype("<u4"), np.dtype("<i8")


def _u32_out(array: np.ndarray) -> bytes:
    return array.astype(_U32, copy=False).tobytes()


def _u32_in(raw: bytes) -> np.ndarray:
    """A read-only uint32 view of the bytes (nothing downstream writes a fingerprint)."""
    return np.frombuffer(raw, dtype=_U32).astype(np.uint32, copy=False)


def _positions_out(positions: np.ndarray) -> bytes:
    return positions.astype(_I64, copy=False).tobytes()


def _positions_in(raw: bytes) -> np.ndarray:
    return np.frombuffer(raw, dtype=_I64).astype(np.int64, copy=False)


def _sketch_out(sketch: Sketch) -> _Sketch:
    return _Sketch(_u32_out(sketch.sig), _u32_out(sketch.lead), sketch.prefixes)


def _sketch_in(sketch: _Sketch) -> Sketch:
    return Sketch(sig=_u32_in(sketch.sig), lead=_u32_in(sketch.lead), prefixes=sketch.prefixes)


def prepared_of(raw: msgspec.Raw) -> Prepared | None:
    """The Prepared an ArticleIn carried, or None (an earlier version sent none)."""
    return None if bytes(raw) == _NULL else prepared_decoder.decode(raw)


def article_key(gather_key: bytes) -> bytes:
    """Where the gather table keeps the article of a pending gather key."""
    return b"article:" + gather_key


IndexMessage = Lookups | Updates | Lookup | Update
GatherMessage = ArticleIn | Replies | Reply

index_decoder = msgspec.json.Decoder(IndexMessage)
gather_decoder = msgspec.json.Decoder(GatherMessage)
pending_decoder = msgspec.json.Decoder(Pending)
prepared_decoder = msgspec.json.Decoder(Prepared)
encode = msgspec.json.Encoder().encode
