"""The compact IPTC copy shipped in the package."""

from __future__ import annotations

import gzip
import json

import pytest

from services.categorizer.exceptions import TaxonomyError
from services.categorizer.subtopics import SubtopicMatcher
from services.categorizer.taxonomy import COMPACT_PATH, load_taxonomy


def test_seventeen_top_level_topics():
    tax = load_taxonomy()
    assert len(tax.top_level) == 17
    assert tax.label("medtop:11000000") == "politics"
    assert tax.label("medtop:16000000") == "conflict, war and peace"


def test_ancestors():
    tax = load_taxonomy()
    assert tax.ancestor("medtop:20001243", 1) == "medtop:04000000"  # oil and gas
    assert tax.ancestor("medtop:20001243", 2) == "medtop:20000209"
    assert tax.ancestor("medtop:11000000", 2) is None
    with pytest.raises(TaxonomyError):
        tax.get("medtop:00000000")


def test_credit_is_shipped():
    with gzip.open(COMPACT_PATH, "rt", encoding="utf-8") as f:
        payload = json.load(f)
    assert "IPTC" in payload["credit"] and "CC BY 4.0" in payload["credit"]


def test_subtopic_matcher():
    m = SubtopicMatcher(load_taxonomy())
    ev = m.match(["the", "soccer", "match", "and", "the", "central", "bank"])
    assert "medtop:20000822" in ev  # competition discipline (soccer)
    ev = m.match(["minister", "of", "defense"])  # US spelling matched to IPTC's
    assert "medtop:20000593" in ev  # government (defence)
