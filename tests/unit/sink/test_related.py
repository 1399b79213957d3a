"""Relatedness scoring is a pure function with scores in [0, 1]."""

from services.core.models import Article, Dedupe, Extraction, IngestMeta, LinkItem, Links, Topic
from services.sink.related import score, top_related


def art(id_: str, published_at: str = "2026-01-01T00:00:00Z", **kw: object) -> Article:
    return Article(
        id=id_,
        ingest=IngestMeta(id=id_, received_at="2026-01-01T00:00:00.000Z"),
        extraction=Extraction(format="text"),
        published_at=published_at,
        **kw,  # type: ignore[arg-type]
    )


POLITICS = [Topic(code="medtop:11000000", label="politics", score=0.9)]
SPORT = [Topic(code="medtop:15000000", label="sport", score=0.9)]


def test_same_story_and_names_rank_above_topic_only() -> None:
    a = art(
        "a",
        topics=POLITICS,
        people=["Valery Gerasimov"],
        dedupe=Dedupe(status="unique", fingerprint="x", story_id="s1"),
    )
    story = art(
        "b",
        topics=POLITICS,
        people=["Valery Gerasimov"],
        dedupe=Dedupe(status="unique", fingerprint="y", story_id="s1"),
    )
    topic_only = art("c", topics=POLITICS)
    unrelated = art("d", topics=SPORT)
    ranked = top_related(a, [unrelated, topic_only, story, a], 10)
    assert [r.id for r in ranked] == ["b", "c"]
    assert ranked[0].reason == "story"
    assert all(0 <= r.score <= 1 for r in ranked)


def test_publisher_related_links_matched_by_title() -> None:
    a = art("a", links=Links(related=[LinkItem(title="Oil prices rise")]))
    b = art("b", title="Oil prices rise")
    value, reason = score(a, b)
    assert value > 0 and reason == "links"


def test_older_candidates_score_lower() -> None:
    a = art("a", topics=POLITICS)
    recent = art("b", topics=POLITICS)
    old = art("c", topics=POLITICS, published_at="2025-12-01T00:00:00Z")
    assert score(a, recent)[0] > score(a, old)[0]
