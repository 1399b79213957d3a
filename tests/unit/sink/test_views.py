"""Latest views: membership, order by publication time, updates, pagination."""

from services.core.models import (
    Article,
    ArticleSummary,
    Dedupe,
    Extraction,
    IngestMeta,
    Source,
    Topic,
)
from services.sink import views


def article(id_: str, published: str, version: int = 1, **kw: object) -> Article:
    return Article(
        id=id_,
        ingest=IngestMeta(id="i" + id_, received_at="2026-01-01T00:00:00.000Z"),
        extraction=Extraction(format="text"),
        published_at=published,
        dedupe=Dedupe(status="unique", fingerprint="f", version=version),
        **kw,  # type: ignore[arg-type]
    )


def test_view_keys_cover_overall_topic_country_source_section() -> None:
    a = article(
        "a",
        "2026-01-01T00:00:00Z",
        topics=[Topic(code="medtop:11000000", label="politics", score=0.9)],
        countries=["az"],
        source=Source(name="Trend", domain="trend.az"),
        section="Politics",
    )
    assert views.view_keys(a) == [
        "all",
        "topic:medtop:11000000",
        "country:AZ",
        "source:trend",
        "section:politics",
    ]


def test_merge_orders_by_published_at_not_arrival_and_bounds_size() -> None:
    items: list[ArticleSummary] = []
    for id_, day in [("a", "03"), ("b", "01"), ("c", "05"), ("d", "02")]:
        items = views.merge(items, views.summarize(article(id_, f"2026-01-{day}T00:00:00Z")), 3)
    assert [i.id for i in items] == ["c", "a", "d"]


def test_update_replaces_older_version_but_not_newer() -> None:
    items = views.merge([], views.summarize(article("a", "2026-01-01T00:00:00Z", 2, title="v2")), 10)
    items = views.merge(items, views.summarize(article("a", "2026-01-01T00:00:00Z", 1, title="v1")), 10)
    assert [(i.id, i.title) for i in items] == [("a", "v2")]
    items = views.merge(items, views.summarize(article("a", "2026-01-02T00:00:00Z", 3, title="v3")), 10)
    assert [(i.id, i.title) for i in items] == [("a", "v3")]


def test_is_stale_compares_dedupe_versions() -> None:
    from services.core.codec import encode

    stored = encode(article("a", "2026-01-01T00:00:00Z", 2))
    assert views.is_stale(article("a", "2026-01-01T00:00:00Z", 1), stored)
    assert not views.is_stale(article("a", "2026-01-01T00:00:00Z", 3), stored)
    assert not views.is_stale(article("a", "2026-01-01T00:00:00Z", 1), None)


def test_page_walks_the_list_with_a_cursor() -> None:
    items: list[ArticleSummary] = []
    for n in range(5):
        items = views.merge(items, views.summarize(article(f"x{n}", f"2026-01-0{n + 1}T00:00:00Z")), 10)
    first, cursor = views.page(items, 2, None)
    second, cursor2 = views.page(items, 2, cursor)
    third, cursor3 = views.page(items, 2, cursor2)
    assert [i.id for i in first + second + third] == ["x4", "x3", "x2", "x1", "x0"]
    assert cursor3 is None


def test_matches_narrows_by_every_filter_case_insensitively() -> None:
    a = views.summarize(
        article(
            "a",
            "2026-01-01T00:00:00Z",
            topics=[Topic(code="medtop:11000000", label="politics", score=0.9)],
            countries=["AZ"],
            source=Source(name="Trend"),
            section="Politics",
        )
    )
    assert views.matches(a, [("country", "az"), ("source", " trend "), ("section", "POLITICS")])
    assert not views.matches(a, [("topic", "medtop:15000000")])
    assert views.matches(a, [])
