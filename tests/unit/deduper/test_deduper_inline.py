"""The deduper's one-step path (services/deduper/inline.py) against its three phases.

The fixture stream is 60 real Reuters-21578 records with their exact copies, near
variants, re-ingests and updates (services/deduper/corpus.py). Articles arriving one
after the other must get the same verdicts and leave the same index either way; with
articles in flight on the phases when the worker takes every partition, exact copies
still give exactly one unique.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import msgspec
import pytest

from services.core.clock import parse_utc
from services.core.codec import encode
from services.core.models import Article
from services.core.streaming.txn import InRecord
from services.deduper.app import INDEX_TABLES
from services.deduper.corpus import build_stream, load_reuters
from services.deduper.evaluate import to_article
from tests.unit.deduper.deduper_helpers import DEDUPER_FIXTURES, MARKETS, article, later
from tests.unit.deduper.test_deduper_app import PARTITIONS, Router


def stream() -> list[Article]:
    """The corpus stream, then a new id at a known URL (found by the URL key alone)."""
    articles = [to_article(item, None) for item in build_stream(load_reuters(DEDUPER_FIXTURES, limit=60))]
    last_day = parse_utc(articles[-1].ingest.received_at) - timedelta(days=1)
    known = next(a for a in articles if a.url and parse_utc(a.ingest.received_at) > last_day)
    last = parse_utc(articles[-1].ingest.received_at)
    moved = article("new-id", MARKETS, url=known.url, at=last + timedelta(minutes=1))
    return [*articles, msgspec.structs.replace(moved, canonical_url=known.canonical_url)]


def owning_all(router: Router) -> Router:
    router.app.owned = lambda: range(PARTITIONS)
    return router


def index_state(router: Router) -> dict[str, dict[int, dict[bytes, bytes]]]:
    return {
        name: {p: dict(router.app.tables[name].items(p)) for p in range(PARTITIONS)} for name in INDEX_TABLES
    }


def test_one_after_the_other_both_paths_give_the_same_verdicts_and_index(tmp_path: Path) -> None:
    phased, inline = Router(tmp_path / "phased"), owning_all(Router(tmp_path / "inline"))
    articles = stream()
    verdicts = [(phased.send(a), inline.send(a)) for a in articles]
    assert [p for p, _ in verdicts] == [i for _, i in verdicts]
    statuses = {v["status"] for v, _ in verdicts}
    assert statuses == {"unique", "duplicate", "update"}, statuses  # the stream tests all three
    assert index_state(phased) == index_state(inline)
    assert inline.delivered == {inline.app.index_topic: 0, inline.app.gather_topic: 0}
    assert phased.delivered[phased.app.index_topic] > len(articles)


def test_the_phases_run_unless_every_index_partition_is_owned(tmp_path: Path) -> None:
    router = Router(tmp_path)
    router.app.owned = lambda: range(PARTITIONS - 1)
    router.send(article("a1", MARKETS, url="https://wire.example/markets"))
    assert router.delivered[router.app.gather_topic] > 0
    switched_off = owning_all(Router(tmp_path / "off"))
    switched_off.app.inline = False  # NEWSFLOW_INLINE_DEDUPE=false
    switched_off.send(article("a1", MARKETS, url="https://wire.example/markets"))
    assert switched_off.delivered[switched_off.app.gather_topic] > 0


@pytest.mark.parametrize("inline_first", [False, True])
def test_an_exact_copy_decided_inline_while_another_is_in_flight_gives_one_unique(
    tmp_path: Path, inline_first: bool
) -> None:
    """A is on the phases (its phase 0 done, its lookups not yet read) when the worker
    takes every partition; B, the same text, comes in then. Whichever reaches the exact
    key first is unique, the other its duplicate."""
    router = Router(tmp_path)
    a = article("a", MARKETS, url="https://one.example/markets")
    b = article("b", MARKETS, url="https://two.example/markets", at=later(minutes=1))
    in_flight = router.app.on_article(InRecord(router.app.topics.categorized, 0, 0, b"a", encode(a)))
    assert in_flight and all(o.topic in router.internal for o in in_flight)
    owning_all(router)
    if inline_first:
        b_verdict = router.send(b)
        router.run(*(router._record(o) for o in in_flight))
    else:
        router.run(*(router._record(o) for o in in_flight if o.topic == router.app.index_topic))
        b_verdict = router.send(b)
        router.run(*(router._record(o) for o in in_flight if o.topic == router.app.gather_topic))
    (a_out,) = [msgspec.json.decode(o.value or b"") for o in router.emitted if o.key == b"a"]
    a_verdict = a_out["dedupe"]
    assert sorted([a_verdict["status"], b_verdict["status"]]) == ["duplicate", "unique"]
    first, second = (b_verdict, a_verdict) if inline_first else (a_verdict, b_verdict)
    assert first["status"] == "unique"
    assert second["duplicate_of"] == ("b" if inline_first else "a")
