"""train() and evaluate() end to end on a tiny corpus shipped as a fixture.

The fixture has the real corpora's formats (AG News CSV + classes file, Reuters-21578
JSON) with a few dozen documents, so this checks the code path of
`newsflow train categorizer` / `newsflow eval categorizer`, not the figures.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from services.categorizer.evaluate import evaluate, format_report
from services.categorizer.exceptions import CorpusError
from services.categorizer.model import TopicModel
from services.categorizer.pipeline import Categorizer
from services.categorizer.train import train

MINI = Path(__file__).resolve().parents[2] / "fixtures" / "categorizer" / "mini_corpus"


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    out = tmp_path_factory.mktemp("model") / "m.npz.gz"
    summary = train(MINI, out, seed=0, c_grid=(5.0,))
    return out, summary


def test_train_writes_a_loadable_model(trained):
    out, summary = trained
    assert out.is_file() and summary["model_bytes"] == out.stat().st_size
    assert summary["training_documents"]["ag"] > 0
    assert summary["training_documents"]["iptc"] > 500  # prior knowledge: all 17 topics
    model = TopicModel.load(out)
    assert len(model.classes) == 17


def test_train_is_reproducible(trained, tmp_path):
    out, _ = trained
    again = tmp_path / "again.npz.gz"
    train(MINI, again, seed=0, c_grid=(5.0,))
    assert again.read_bytes() == out.read_bytes()


def test_evaluate_and_report(trained):
    out, _ = trained
    cat = Categorizer.load(model_path=out)
    report = evaluate(MINI, cat)
    ag = report["ag_news"]
    assert ag["n"] > 0 and 0 <= ag["accuracy"] <= 1 and 0 <= ag["macro_f1"] <= 1
    assert set(ag["confusion"]) == {"World", "Sports", "Business", "Sci/Tech"}
    assert report["reuters21578"]["n"] > 0
    assert report["throughput"]["ag_full_categorize_articles_per_s"] > 0
    assert evaluate(MINI, cat, limit=3)["ag_news"]["n"] == 3
    text = format_report(report)
    assert "AG News held-out" in text and "Reuters-21578" in text and "articles/s" in text


def test_missing_corpus(tmp_path):
    with pytest.raises(CorpusError):
        train(tmp_path, tmp_path / "m.npz.gz")
