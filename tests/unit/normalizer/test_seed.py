"""The seed article (a real Trend text dump with page chrome) must come out exactly right.

Nothing here is special-cased for Trend in the code: these fields fall out of the general
rules (header lines by shape, agency datelines, explicit offsets, link lists of headline
+ section + time, repeated caption bullets, share/follow boilerplate).
"""

from __future__ import annotations

import pytest

from services.core.models import Article
from tests.unit.normalizer.normalizer_helpers import FIXTURES, norm

SEED = (FIXTURES / "seed-article.txt").read_text("utf-8")
TITLE = "Chiefs of General Staffs of Azerbaijani, Russian Armed Forces hold meeting in Baku"

RELATED = [
    (
        "NATO supports Azerbaijan’s territorial integrity, independence, sovereignty",
        "Politics",
        "2019-11-26T14:50:00Z",
    ),
    (
        "Measures to prevent incidents on Russia-NATO contact line discussed in Baku",
        "Politics",
        "2019-11-26T14:35:00Z",
    ),
    ("Air passenger traffic between Azerbaijan, Turkey increases", "Turkey", "2019-11-26T14:15:00Z"),
    (
        "Compulsory medical insurance in Azerbaijan may be applied in stages in 2020",
        "Economy",
        "2019-11-26T14:07:00Z",
    ),
    (
        "Uzbekistan invites Azerbaijan to observe country's parliamentary elections",
        "Politics",
        "2019-11-26T13:57:00Z",
    ),
    ("Iran to export medicine to Russia", "Business", "2019-11-26T13:17:00Z"),
]
LATEST = [
    (
        "NATO supports Azerbaijan’s territorial integrity, independence, sovereignty",
        "Politics",
        "2019-11-26T14:50:00Z",
    ),
    ("Iran may save $9B by exporting liquid fuels", "Oil&Gas", "2019-11-26T14:45:00Z"),
    (
        "Measures to prevent incidents on Russia-NATO contact line discussed in Baku",
        "Politics",
        "2019-11-26T14:35:00Z",
    ),
    ("Prototype of domestic high-speed train to be presented in Turkey", "Turkey", "2019-11-26T14:18:00Z"),
    ("Air passenger traffic between Azerbaijan, Turkey increases", "Turkey", "2019-11-26T14:15:00Z"),
    ("Iran taking steps to boost domestic production", "Business", "2019-11-26T14:09:00Z"),
    (
        "Compulsory medical insurance in Azerbaijan may be applied in stages in 2020",
        "Economy",
        "2019-11-26T14:07:00Z",
    ),
    ("Turkmen refinery opens tender to build pumping station", "Business", "2019-11-26T14:05:00Z"),
    (
        "National Bank of Georgia sells $20M during foreign exchange auction",
        "Finance",
        "2019-11-26T14:02:00Z",
    ),
]


def _expected_paragraphs() -> list[str]:
    lines = [ln.strip() for ln in SEED.splitlines()]
    start = next(i for i, ln in enumerate(lines) if ln.startswith("Azerbaijani First Deputy"))
    end = next(i for i, ln in enumerate(lines) if ln.endswith("NATO Military Committee in Baku."))
    return [ln for ln in lines[start : end + 1] if ln]


@pytest.fixture(scope="module", params=["auto", "text"])
def article(request: pytest.FixtureRequest) -> Article:
    return norm(SEED, request.param)


def test_title_without_date_prefix_or_media_marker(article: Article) -> None:
    assert article.title == TITLE


def test_published_at_and_offset(article: Article) -> None:
    assert article.published_at == "2019-11-26T14:49:00Z"
    assert article.published_offset == "+04:00"


def test_dateline_source_language(article: Article) -> None:
    assert article.dateline is not None
    assert (article.dateline.place, article.dateline.country) == ("Baku", "AZ")
    assert article.source.name == "Trend"
    assert article.language == "en"
    assert article.extraction.format == "text"


def test_body_is_exactly_the_news_paragraphs(article: Article) -> None:
    expected = _expected_paragraphs()
    # the brief says "15 news paragraphs"; the fixture has 11 between the two anchors
    assert len(expected) == 11
    assert article.body == "\n\n".join(expected)
    assert article.body.startswith("Azerbaijani First Deputy Minister")
    assert article.body.endswith("NATO Military Committee in Baku.")
    for chrome in ("Follow Trend on Telegram", "•", "Related news", "Politics 18:50", TITLE):
        assert chrome not in article.body
    assert article.lead == expected[0]
    assert article.word_count == len(article.body.split())


def test_media_from_caption_bullets(article: Article) -> None:
    assert article.media.photo_count == 8
    assert article.media.captions == [TITLE]
    assert article.media.video is False


def test_link_lists(article: Article) -> None:
    related = [(i.title, i.section, i.published_at) for i in article.links.related]
    latest = [(i.title, i.section, i.published_at) for i in article.links.latest]
    assert related == RELATED
    assert latest == LATEST


def test_clean_extraction_and_stable_id(article: Article) -> None:
    assert article.extraction.warnings == []
    assert norm(SEED).id == article.id  # same article re-ingested -> same id
    assert len(article.id) == 32
