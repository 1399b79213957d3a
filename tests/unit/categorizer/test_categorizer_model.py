"""The shipped model file: loads, predicts sensibly, fails clearly."""

from __future__ import annotations

import gzip
from collections import Counter

import numpy as np
import pytest

from services.categorizer.exceptions import CategorizerError, ModelFormatError, ModelNotFound
from services.categorizer.features import document_tokens, feature_counts
from services.categorizer.model import DEFAULT_MODEL_PATH, TopicModel
from services.categorizer.pipeline import Categorizer
from services.categorizer.taxonomy import load_taxonomy
from tests.unit.categorizer.categorizer_helpers import make_article

SPORT = "medtop:15000000"


@pytest.fixture(scope="module")
def model():
    return TopicModel.load()


@pytest.fixture(scope="module")
def cat():
    return Categorizer.load()


def test_shipped_model_is_small_and_complete(model):
    assert DEFAULT_MODEL_PATH.stat().st_size < 4 * 1024 * 1024
    assert sorted(model.classes) == sorted(load_taxonomy().top_level)
    assert len(model.classes) == 17
    assert model.weights.shape == (len(model.vocab), 17)
    assert 0.2 < model.temperature < 5


def test_probabilities(model):
    p = model.predict_proba(feature_counts(document_tokens("Cup final tonight", "")))
    assert p.shape == (17,)
    assert np.all(p >= 0) and np.all(p <= 1)
    assert abs(p.sum() - 1) < 1e-5


def test_obvious_sports_text(cat):
    a = make_article(
        "Striker scores twice as United win the cup final",
        "The coach praised the players after the match in front of 70,000 fans.",
    )
    out = cat.categorize(a)
    assert out.topics[0].code == SPORT
    assert out.topics[0].score > 0.8


@pytest.mark.parametrize(
    ("title", "code"),
    [
        ("Central bank raises interest rates as inflation climbs", "medtop:04000000"),
        ("NASA probe sends first images of the distant planet", "medtop:13000000"),
        ("Parliament votes on the new election law", "medtop:11000000"),
        ("Heavy snow and storms forecast for the weekend", "medtop:17000000"),
        ("Pope leads prayers for pilgrims at the Vatican", "medtop:12000000"),
    ],
)
def test_obvious_texts(cat, title, code):
    assert cat.categorize(make_article(title, "")).topics[0].code == code


def test_empty_article_still_gets_a_topic(cat):
    out = cat.categorize(make_article(None, ""))
    assert len(out.topics) >= 1
    assert out.countries == [] and out.people == [] and out.keywords == []


def test_missing_model(tmp_path):
    with pytest.raises(ModelNotFound):
        TopicModel.load(tmp_path / "nope.npz.gz")
    with pytest.raises(CategorizerError):
        Categorizer.load(model_path=tmp_path / "nope.npz.gz")


def test_corrupt_model(tmp_path):
    p = tmp_path / "bad.npz.gz"
    p.write_bytes(gzip.compress(b"not a model"))
    with pytest.raises(ModelFormatError):
        TopicModel.load(p)


def test_roundtrip(tmp_path):
    m = TopicModel(
        vocab={"goal": 0, "bank": 1},
        weights=np.array([[2.0, -1], [-1, 2.0]]),
        bias=np.zeros(2),
        idf=np.ones(2),
        classes=["a", "b"],
        temperature=1.5,
        common_words=frozenset({"the"}),
        meta={"x": 1},
    )
    path = tmp_path / "m.npz.gz"
    m.save(path)
    first = path.read_bytes()
    m.save(path)
    assert path.read_bytes() == first, "same model, same bytes"
    back = TopicModel.load(path)
    assert back.classes == ["a", "b"] and back.temperature == 1.5
    assert back.common_words == {"the"} and back.meta["x"] == 1
    p = back.predict_proba(Counter({"goal": 3}))
    assert p[0] > p[1]
