"""Pipeline behaviour: thresholds, output shape, robustness to odd input."""

from __future__ import annotations

import msgspec
import pytest

from services.categorizer import Categorizer, CategorizerConfig
from services.core.models import Article
from tests.unit.categorizer.categorizer_helpers import make_article, seed_article


@pytest.fixture(scope="module")
def cat():
    return Categorizer.load()


def test_config_limits_topics():
    strict = Categorizer.load(config=CategorizerConfig(min_topic_score=1.1, max_subtopics=0))
    out = strict.categorize(seed_article())
    assert len(out.topics) == 1 and out.topics[0].level == 1
    assert len(strict.categorize(seed_article()).keywords) <= 10


def test_output_roundtrips_through_the_contract(cat):
    out = cat.categorize(seed_article())
    data = msgspec.json.encode(out)
    back = msgspec.json.decode(data, type=Article)
    assert back.topics == out.topics and back.places == out.places


@pytest.mark.parametrize(
    "body",
    [
        "",
        "   ",
        "1234 5678",
        "!!! ??? ...",
        "ÄÖÜ ß 東京 مرحبا",
        "word " * 20000,
        "A" * 50000,
        "U.S. U.S. U.S.",
        "\x00\x01 control",
    ],
)
def test_odd_input_does_not_crash(cat, body):
    out = cat.categorize(make_article("Title", body))
    assert out.topics and 0 <= out.topics[0].score <= 1
    assert isinstance(out.countries, list) and isinstance(out.keywords, list)


def test_deterministic(cat):
    a = seed_article()
    assert msgspec.json.encode(cat.categorize(a)) == msgspec.json.encode(cat.categorize(a))
