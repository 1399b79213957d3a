"""Exact copies in flight at the same moment, two deduper workers on the real broker:
every pair comes out as one unique article and one duplicate pointing at it (the hold
on the exact-hash key, decide.py "Consistency"). Without the hold, a copy whose lookup
reaches the index before its twin's write comes out unique too.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

import pytest

from services.core.codec import encode
from services.core.models import Article
from tests.integration.deduper.test_partitioned import article, two_deduper_workers, wait_verdicts
from tests.support.kafka import produce

pytestmark = pytest.mark.kafka
PAIRS = 120
WORDS = [
    "minister",
    "talks",
    "delegation",
    "border",
    "agreement",
    "parliament",
    "vote",
    "budget",
    "energy",
    "pipeline",
    "contract",
    "export",
    "grain",
    "harbour",
    "railway",
    "bridge",
    "election",
    "court",
    "appeal",
    "ruling",
    "governor",
    "province",
    "drought",
    "flood",
    "harvest",
    "council",
    "mayor",
    "strike",
    "union",
    "wage",
    "inflation",
    "currency",
    "reserve",
    "bank",
    "loan",
    "bond",
    "market",
    "shares",
    "investor",
    "summit",
    "treaty",
    "ceasefire",
    "envoy",
    "army",
    "navy",
    "exercise",
    "satellite",
    "launch",
    "vaccine",
    "hospital",
    "clinic",
    "school",
    "teacher",
    "student",
    "exam",
    "museum",
    "festival",
    "theatre",
    "orchestra",
    "stadium",
    "league",
    "coach",
    "transfer",
    "season",
    "record",
]


def distinct_docs(count: int, seed: int) -> list[dict[str, str]]:
    """`count` texts far apart from each other (random word order: no shared shingles
    beyond chance), each long enough for every index key kind."""
    rng = random.Random(seed)
    docs = []
    for n in range(count):
        paragraphs = [" ".join(rng.choices(WORDS, k=45)) + "." for _ in range(5)]
        text = f"Dispatch {n} from the capital\n\nReport {n}: " + "\n\n".join(paragraphs)
        docs.append({"content": text, "format": "text"})
    return docs


@pytest.fixture(scope="module")
def two_workers(kafka_broker: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with two_deduper_workers(kafka_broker.bootstrap, tmp_path_factory.mktemp("inflight")) as (system, _):
        yield system


async def test_exact_copies_in_flight_together_give_one_unique_per_pair(two_workers: Any) -> None:
    system = two_workers
    docs = distinct_docs(PAIRS, seed=5)
    pairs: list[tuple[Article, Article]] = [(article(d, "Wire A"), article(d, "Paper B")) for d in docs]
    assert all(a.id != b.id and a.body == b.body for a, b in pairs)  # two ids, one text
    # both copies of a pair back to back: they land on different partitions (ids differ),
    # mostly on different workers, and are looked up before either is written
    await produce(
        system.bootstrap,
        system.topics.categorized,
        [(x.id.encode(), encode(x)) for pair in pairs for x in pair],
    )
    found = await wait_verdicts(system, {x.ingest.id for pair in pairs for x in pair}, "in flight")
    both_unique, wrong = [], []
    for a, b in pairs:
        va, vb = found[a.ingest.id], found[b.ingest.id]
        statuses = sorted((va["status"], vb["status"]))
        if statuses == ["unique", "unique"]:
            both_unique.append(a.id)
            continue
        original, copy = (a, vb) if va["status"] == "unique" else (b, va)
        if (
            statuses != ["duplicate", "unique"]
            or copy["duplicate_of"] != original.id
            or copy["kind"] != "exact"
        ):
            wrong.append((va, vb))
    assert not both_unique and not wrong, (
        f"of {PAIRS} pairs: {len(both_unique)} with both copies unique, {len(wrong)} otherwise wrong "
        f"(e.g. {wrong[:2]})"
    )
