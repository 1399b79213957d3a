"""The sink's internal messages: one per (article, partition), each listing that partition's keys.

Why batches: an article touches ~8 view keys and up to 32 related-index keys, and each
new article offers itself to a few dozen related lists. One message per key made the
sink process 20-200 faust events per article. Every table write must land on the
partition that owns its key (faust writes the changelog to the event's partition and
the row to that partition's RocksDB), so keys are grouped by the partition a keyed send
would pick (services.core.kafka.partitioner) and each group travels as one message sent
to that partition explicitly. The message key is informational (the article id).

    <app>-views      ViewBatch   {"views": [view, ...], "summary": ArticleSummary}
    <app>-rel-index  IndexBatch  {"keys": [index key, ...], "features": Features}
    <app>-rel-offers OfferBatch  {"offers": [Offer, ...]}  (targets of one partition)

Internal, not part of schemas/. The single-key messages of earlier versions (value =
one ArticleSummary / Features / Offer, the key = the table key) are still accepted, so
topics need not be drained on upgrade. Anything else is a DecodeError (-> news.dlq).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, TypeVar

import msgspec

from services.core.exceptions import DecodeError
from services.core.models import ArticleSummary
from services.related.candidates import Offer
from services.related.scoring import Features

B = TypeVar("B")
NonEmpty = msgspec.Meta(min_length=1)


class ViewBatch(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """One article's summary for the latest views (of one partition) it belongs to."""

    views: Annotated[list[str], NonEmpty]
    summary: ArticleSummary


class IndexBatch(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """One article's Features for the candidate pools (of one partition) it joins."""

    keys: Annotated[list[str], NonEmpty]
    features: Features


class OfferBatch(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Offers for related lists whose ids all live on the partition it is sent to."""

    offers: Annotated[list[Offer], NonEmpty]


_views = msgspec.json.Decoder(ViewBatch)
_index = msgspec.json.Decoder(IndexBatch)
_offers = msgspec.json.Decoder(OfferBatch)
_summary = msgspec.json.Decoder(ArticleSummary)
_features = msgspec.json.Decoder(Features)
_offer = msgspec.json.Decoder(Offer)


def _table_key(key: bytes | None, what: str) -> str:
    """The key of a single-key message: it names the table key, so it must be there."""
    try:
        if key:
            return key.decode()
    except UnicodeDecodeError:
        pass
    raise DecodeError("no_key", f"a single {what} message needs its table key (UTF-8) as record key")


def _either(value: bytes, batch: msgspec.json.Decoder[B], single: Callable[[], B], what: str) -> B:
    """The batch form, else the single-key form; neither -> DecodeError naming the batch form."""
    if not value:
        raise DecodeError("empty_value", f"{what} message has no value")
    try:
        return batch.decode(value)
    except msgspec.ValidationError as batch_error:  # maybe the older single form
        # msgspec stops at the first schema error, so the rest of the value was never
        # parsed: the single form may find it is not JSON (or not UTF-8) after all
        try:
            return single()
        except msgspec.ValidationError:
            raise DecodeError("schema", f"not a {what} batch: {batch_error}") from batch_error
        except (msgspec.DecodeError, UnicodeDecodeError) as exc:
            raise DecodeError("json", f"{what} message is not JSON: {exc}") from exc
    except msgspec.DecodeError as exc:
        raise DecodeError("json", f"{what} message is not JSON: {exc}") from exc
    except UnicodeDecodeError as exc:  # msgspec's own error for invalid UTF-8 inside a string
        raise DecodeError("json", f"{what} message is not UTF-8 JSON: {exc}") from exc


def decode_views(key: bytes | None, value: bytes) -> ViewBatch:
    def single() -> ViewBatch:
        summary = _summary.decode(value)
        return ViewBatch(views=[_table_key(key, "view")], summary=summary)

    return _either(value, _views, single, "view")


def decode_index(key: bytes | None, value: bytes) -> IndexBatch:
    def single() -> IndexBatch:
        features = _features.decode(value)
        return IndexBatch(keys=[_table_key(key, "rel-index")], features=features)

    return _either(value, _index, single, "rel-index")


def decode_offers(key: bytes | None, value: bytes) -> OfferBatch:
    def single() -> OfferBatch:
        offer = _offer.decode(value)
        if key != offer.target.encode():  # the key placed it: it must be the target's
            raise DecodeError("key_mismatch", f"offer for {offer.target!r} keyed {key!r}")
        return OfferBatch(offers=[offer])

    return _either(value, _offers, single, "rel-offers")
