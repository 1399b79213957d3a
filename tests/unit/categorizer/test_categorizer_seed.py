"""The seed article (tests/fixtures/seed-article.txt) end to end through categorize()."""

from __future__ import annotations

import pytest

from services.categorizer.pipeline import Categorizer, categorize
from tests.unit.categorizer.categorizer_helpers import seed_article

POLITICS = "medtop:11000000"
CONFLICT = "medtop:16000000"


@pytest.fixture(scope="module")
def result():
    return Categorizer.load().categorize(seed_article())


def test_primary_topic_is_politics_or_conflict(result):
    assert result.topics, "no topics"
    assert result.topics[0].code in (POLITICS, CONFLICT)
    assert result.topics[0].level == 1


def test_topics_are_well_formed(result):
    levels = [t.level for t in result.topics]
    assert levels == sorted(levels), "level-1 topics come before level-2 subtopics"
    top = [t.score for t in result.topics if t.level == 1]
    assert top == sorted(top, reverse=True), "primary first"
    for t in result.topics:
        assert t.code.startswith("medtop:") and t.label
        assert 0.0 <= t.score <= 1.0


def test_section_from_related_links_is_politics(result):
    # No own section; most related links are in "Politics".
    assert result.section_topic == POLITICS


def test_countries(result):
    assert {"AZ", "RU", "AM"} <= set(result.countries)
    assert result.countries[0] == "AZ"  # the dateline country leads


def test_places_include_dateline_city(result):
    assert ("Baku", "AZ") in {(p.name, p.country) for p in result.places}


def test_people(result):
    assert "Najmeddin Sadikov" in result.people
    assert "Valery Gerasimov" in result.people
    # Surnames repeated alone are not extra people; places are not people.
    assert "Sadikov" not in result.people
    assert not any("Baku" in p or "Azerbaijan" in p for p in result.people)


def test_organizations(result):
    assert "NATO" in result.organizations
    assert "Russian Federation" not in result.organizations  # a country, not an org


def test_keywords(result):
    assert 3 <= len(result.keywords) <= 10
    assert any("military" in k or "armed forces" in k for k in result.keywords)


def test_input_not_mutated_and_module_function():
    article = seed_article()
    out = categorize(article, Categorizer.load())
    assert article.topics is None and out.topics
    assert out.id == article.id and out.body == article.body
