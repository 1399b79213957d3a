"""Stories: other outlets' reports of one event share a story id without being duplicates."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from services.core.models import Article, Dedupe
from services.deduper.decide import dedupe
from services.deduper.index import InMemoryStore
from services.deduper.story import story_keys
from tests.unit.deduper.deduper_helpers import (
    FLOODS,
    FLOODS_OTHER_OUTLET,
    MARKETS,
    SCHOOLS,
    T0,
    article,
    later,
)

FLOOD_NAMES: dict[str, Any] = {
    "people": ["Stefano Rinaldi"],
    "places": ["Bologna", "Ravenna", "Emilia-Romagna"],
}


def verdict(store: InMemoryStore, item: Article, at: datetime) -> Dedupe:
    out = dedupe(item, store, now=at)
    assert out.dedupe is not None
    return out.dedupe


def test_other_outlets_report_joins_the_story_but_is_not_a_duplicate() -> None:
    store = InMemoryStore()
    first = verdict(store, article("ansa-1", FLOODS, **FLOOD_NAMES), T0)
    other = verdict(
        store,
        article("wire-7", FLOODS_OTHER_OUTLET, url="https://wire.example/7", **FLOOD_NAMES),
        later(hours=3),
    )
    assert first.story_id == "ansa-1"
    assert (other.status, other.story_id) == ("unique", "ansa-1")


def test_stories_group_without_categorizer_names_too() -> None:
    """Names then come from the body's capitalized phrases."""
    store = InMemoryStore()
    verdict(store, article("a", FLOODS), T0)
    assert verdict(store, article("b", FLOODS_OTHER_OUTLET), later(hours=1)).story_id == "a"


def test_a_duplicate_carries_its_originals_story() -> None:
    store = InMemoryStore()
    verdict(store, article("a", FLOODS, **FLOOD_NAMES), T0)
    verdict(store, article("b", FLOODS_OTHER_OUTLET, **FLOOD_NAMES), later(hours=1))
    copy = verdict(store, article("c", FLOODS_OTHER_OUTLET, url="https://x.example/c"), later(hours=2))
    assert (copy.status, copy.duplicate_of, copy.story_id) == ("duplicate", "b", "a")


def test_same_names_days_later_is_another_story() -> None:
    store = InMemoryStore()
    verdict(store, article("a", FLOODS, **FLOOD_NAMES), T0)
    late = verdict(store, article("b", FLOODS_OTHER_OUTLET, at=later(days=5), **FLOOD_NAMES), later(days=5))
    assert late.story_id == "b"


def test_same_place_different_event_is_another_story() -> None:
    store = InMemoryStore()
    verdict(store, article("a", FLOODS, **FLOOD_NAMES), T0)
    schools = verdict(
        store, article("b", SCHOOLS, people=["Giulia Ferraro"], places=["Bologna", "Milan"]), later(hours=2)
    )
    unrelated = verdict(store, article("c", MARKETS, places=["Vienna"]), later(hours=2))
    assert schools.story_id == "b"
    assert unrelated.story_id == "c"


def test_story_keys_are_pairs_of_the_most_mentioned_names() -> None:
    assert len(story_keys(["a", "b", "c", "d", "e"])) == 6  # pairs of the top 4
    assert story_keys(["b", "a"]) == story_keys(["a", "b"])
    assert story_keys(["only"]) == []
