"""Relatedness scoring is a pure function with scores in [0, 1]."""

from hypothesis import given
from hypothesis import strategies as st

from services.core.models import Article, Dedupe, Extraction, IngestMeta, LinkItem, Links, Topic
from services.related.scoring import score, top_related


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


def test_wording_counts_as_text_similarity() -> None:
    a = art("a", title="Wheat harvest", body="wheat harvest grain exports farmers drought")
    b = art("b", title="Grain exports", body="grain exports wheat harvest farmers")
    c = art("c", title="Chess final", body="chess grandmaster final tournament")
    value, reason = score(a, b)
    assert reason == "text" and value > score(a, c)[0] == 0


def test_rank_all_matches_top_related() -> None:
    from services.related.scoring import rank_all

    arts = [
        art("a", topics=POLITICS, people=["X"]),
        art("b", topics=POLITICS),
        art("c", topics=SPORT, people=["X"]),
    ]
    assert dict(rank_all(arts, 5)) == {a.id: top_related(a, arts, 5) for a in arts}


def test_features_survive_the_wire() -> None:
    import msgspec

    from services.related.scoring import Features, features

    f = features(art("a", title="T", topics=POLITICS, people=["Valery Gerasimov"]))
    assert msgspec.json.decode(msgspec.json.encode(f), type=Features) == f


@given(
    st.lists(st.sampled_from(["x", "y", "z"]), max_size=3),
    st.lists(st.sampled_from(["x", "y", "z"]), max_size=3),
    st.text(max_size=40),
    st.text(max_size=40),
    st.integers(min_value=0, max_value=400),
)
def test_score_is_always_in_0_1(pa: list[str], pb: list[str], ta: str, tb: str, days: int) -> None:
    from datetime import UTC, datetime, timedelta

    when = (datetime(2026, 1, 1, tzinfo=UTC) + timedelta(days=days)).isoformat().replace("+00:00", "Z")
    a = art("a", title=ta, people=pa, topics=POLITICS, links=Links(related=[LinkItem(title=tb or "t")]))
    b = art("b", when, title=tb, people=pb, topics=POLITICS, dedupe=a.dedupe)
    value, reason = score(a, b)
    assert 0 <= value <= 1 and reason in {"story", "names", "places", "topic", "text", "links"}
