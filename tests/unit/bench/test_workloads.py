"""Benchmark copies stay distinct articles for the deduper, also past the corpus' end."""

from __future__ import annotations

import json
from pathlib import Path

from services.core.models import RawArticle
from services.deduper.offline import OfflineDeduper
from services.ingest.requests import new_ingest
from services.normalizer.pipeline import normalize
from tests.bench.workloads import marker, spread, workload

STORY = (
    "The central bank left its key interest rate unchanged on Thursday, saying inflation "
    "was easing faster than expected while growth in the second quarter stayed weak. "
    "Analysts had expected the decision, but several said the statement opened the door "
    "to a cut as early as next month if wage growth keeps slowing across the region. "
    "Markets rose after the announcement and the currency fell against the dollar."
)


def corpus(tmp_path: Path, stories: int) -> Path:
    folder = tmp_path / "reuters21578" / "json-data"
    folder.mkdir(parents=True)
    docs = [
        {"title": f"Story {i}", "date": "26-FEB-1987", "dateline": "LONDON,", "body": f"{STORY} Item {i}."}
        for i in range(stories)
    ]
    (folder / "reut2-000.json").write_text(json.dumps(docs))
    return tmp_path


def test_markers_are_unique_words() -> None:
    words = {marker(n) for n in range(5000)}
    assert len(words) == 5000
    assert all(w.isalpha() for w in words)
    assert spread("a b c d e f g h", "zq", every=3) == "a b c zq d e f zq g h"


def test_start_continues_the_corpus_and_later_passes_are_marked(tmp_path: Path) -> None:
    root = corpus(tmp_path, stories=2)
    first = workload("text", root, 2, "sat")
    later = workload("text", root, 2, "lat", start=2)  # second pass over a two-story corpus
    assert first[0]["content"].startswith("Story 0 (sat-0)\n")
    assert "zq" not in first[0]["content"]
    assert later[0]["content"].startswith("Story 0 (lat-2)\n")
    assert f" {marker(2)} " in later[0]["content"]


def test_a_second_pass_copy_is_not_a_near_duplicate(tmp_path: Path) -> None:
    root = corpus(tmp_path, stories=1)
    deduper = OfflineDeduper()
    verdicts = []
    for doc in workload("text", root, 1, "sat") + workload("text", root, 1, "lat", start=1):
        raw = RawArticle(ingest=new_ingest(doc["content"], "test"), content=doc["content"], format="text")
        verdicts.append(deduper.dedupe(normalize(raw)).dedupe)
    assert [v.status if v else None for v in verdicts] == ["unique", "unique"]
