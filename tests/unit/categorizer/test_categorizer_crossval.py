"""crossval.py on the fixture corpus: shape of the figures, and that the AG held-out
share never influences them (model choices must not be tuned on it)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from services.categorizer import corpora
from services.categorizer.crossval import CV_FOLDS, coverage_tradeoff, cv_fold, learning_curve

MINI = Path(__file__).resolve().parents[2] / "fixtures" / "categorizer" / "mini_corpus"


@pytest.fixture(scope="module")
def relabelled(tmp_path_factory) -> Path:
    """The mini corpus with every held-out AG row given a different (wrong) class."""
    out = tmp_path_factory.mktemp("relabelled")
    (out / "ag_news_classes.txt").write_text((MINI / "ag_news_classes.txt").read_text())
    (out / "reuters21578").symlink_to(MINI / "reuters21578")
    held = {
        (r.title, r.description)
        for r in corpora.read_ag(MINI)
        if corpora.ag_share(r.title, r.description) == "test"
    }
    assert held, "the fixture needs held-out rows for this test to mean anything"
    changed = 0
    with (
        (MINI / "ag_news_test.csv").open(encoding="utf-8", newline="") as src,
        (out / "ag_news_test.csv").open("w", encoding="utf-8", newline="") as dst,
    ):
        writer = csv.writer(dst, quoting=csv.QUOTE_ALL)
        for rec, row in zip(csv.reader(src), corpora.read_ag(MINI), strict=True):
            if (row.title, row.description) in held:
                rec[0] = str(int(rec[0]) % 4 + 1)
                changed += 1
            writer.writerow(rec)
    assert changed >= len(held)
    return out


def test_cv_fold_is_stable_and_in_range():
    assert cv_fold("Some title\nsome text") == cv_fold("Some title\nsome text")
    folds = {cv_fold(f"text {i}") for i in range(200)}
    assert folds == set(range(CV_FOLDS))


def test_learning_curve_shape():
    curve = learning_curve(MINI, sizes=(10, 20))
    assert set(curve) == {"10", "20", "all"}
    assert all(0.0 <= v <= 1.0 for v in curve.values())


def test_coverage_tradeoff_shape():
    out = coverage_tradeoff(MINI, ag_weights=(1.0, 4.0))
    assert set(out) == {"ag_weight_x1", "ag_weight_x4"}
    for figures in out.values():
        assert set(figures) == {
            "ag_cv_accuracy",
            "iptc_aside_accuracy",
            "iptc_aside_accuracy_topics_ag_lacks",
        }
        assert all(0.0 <= v <= 1.0 for v in figures.values())


def test_heldout_labels_do_not_matter(relabelled):
    assert learning_curve(relabelled, sizes=(10,)) == learning_curve(MINI, sizes=(10,))
    assert coverage_tradeoff(relabelled, ag_weights=(1.0,)) == coverage_tradeoff(MINI, ag_weights=(1.0,))
