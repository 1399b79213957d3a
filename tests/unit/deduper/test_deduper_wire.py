"""wire.Prepared: phase 0's fingerprint and keys reach phase 2 exactly as computed."""

from __future__ import annotations

import msgspec
import numpy as np
import pytest

from services.deduper import wire
from services.deduper.decide import lookup_keys
from services.deduper.fingerprint import Fingerprint, Sketch, fingerprint
from services.deduper.params import DedupeParams
from tests.unit.deduper.deduper_helpers import FLOODS, MARKETS, article, heavy_chrome, seed_body
from tests.unit.deduper.test_deduper_prose import GELCO_NOTES, GELCO_ROWS

PARAMS = DedupeParams()


def same_sketch(a: Sketch, b: Sketch) -> bool:
    return a.prefixes == b.prefixes and all(
        x.dtype == y.dtype and np.array_equal(x, y) for x, y in ((a.sig, b.sig), (a.lead, b.lead))
    )


def same(a: Fingerprint, b: Fingerprint) -> bool:
    scalars = ("content_hash", "n_tokens", "n_shingles", "names", "time")
    if any(getattr(a, name) != getattr(b, name) for name in scalars) or not same_sketch(a.sketch, b.sketch):
        return False
    arrays = [(a.positions, b.positions), (a.terms, b.terms)]
    if (a.prose is None) != (b.prose is None):
        return False
    if a.prose is not None and b.prose is not None:
        if (a.prose.content_hash, a.prose.n_shingles) != (b.prose.content_hash, b.prose.n_shingles):
            return False
        if not same_sketch(a.prose.sketch, b.prose.sketch):
            return False
        arrays.append((a.prose.positions, b.prose.positions))
    return all(x.dtype == y.dtype and np.array_equal(x, y) for x, y in arrays)


@pytest.mark.parametrize(
    "body",
    [
        MARKETS,
        heavy_chrome(FLOODS),
        seed_body(),
        "\n\n".join([*GELCO_ROWS, *GELCO_NOTES]),  # has rows: a prose sketch too
        "Too short.",
        "",
    ],
    ids=["markets", "chrome", "seed", "rows", "short", "empty"],
)
def test_prepared_round_trip_is_exact(body: str) -> None:
    item = article("a1", body, url="https://wire.example/a1", people=["Helen Marsh"])
    fp = fingerprint(item, PARAMS)
    keys = lookup_keys(item, fp, PARAMS)
    message = wire.ArticleIn(
        msgspec.Raw(b"{}"), 3, "now", prepared=msgspec.Raw(wire.encode(wire.Prepared.of(fp, keys)))
    )
    decoded = wire.gather_decoder.decode(wire.encode(message))
    assert isinstance(decoded, wire.ArticleIn)
    prepared = wire.prepared_of(decoded.prepared)
    assert prepared is not None
    got_fp, got_keys = prepared.unpack()
    assert same(fp, got_fp) and got_keys == keys


def test_an_article_in_of_an_earlier_version_has_nothing_prepared() -> None:
    earlier = b'{"type":"article","article":{},"expected":2,"now":"2024-05-06T09:00:00Z"}'
    message = wire.gather_decoder.decode(earlier)
    assert isinstance(message, wire.ArticleIn) and wire.prepared_of(message.prepared) is None
    assert wire.prepared_of(wire.Pending().prepared) is None


def test_lookups_and_updates_of_earlier_versions_hold_and_release_nothing() -> None:
    """Messages in flight across an upgrade read with empty `hold` / `release`; an earlier
    version ignores the new fields (msgspec skips unknown fields), so it just reads/writes."""
    old_lookups = (
        b'{"type":"lookups","keys":[["bands","x1:ab"]],"reply_to":"a|i","now":"2024-05-06T09:00:00Z"}'
    )
    old_updates = b'{"type":"updates","items":[],"now":"2024-05-06T09:00:00Z"}'
    lookups, updates = wire.index_decoder.decode(old_lookups), wire.index_decoder.decode(old_updates)
    assert isinstance(lookups, wire.Lookups) and lookups.hold == []
    assert isinstance(updates, wire.Updates) and updates.release == []

    class EarlierLookups(msgspec.Struct, tag="lookups"):
        keys: list[tuple[str, str]]
        reply_to: str
        now: str

    new = wire.encode(wire.Lookups([("bands", "x1:ab")], "a|i", "2024-05-06T09:00:00Z", [("x1:ab", ["a"])]))
    assert msgspec.json.decode(new, type=EarlierLookups).keys == [("bands", "x1:ab")]
