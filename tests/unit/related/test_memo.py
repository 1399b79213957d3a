"""The related worker's score memo: each pair scored once per new article, same results."""

import msgspec

from services.related.candidates import score_members
from services.related.memo import ScoreMemo
from services.related.scoring import Features, features, prepare
from tests.integration.sink.articles import synthetic
from tests.unit.sink.memory import MemorySink


def pool() -> list[Features]:
    return [features(a) for a in synthetic(30)]


def test_scores_equal_score_members_and_each_pair_is_scored_once() -> None:
    new, *members = pool()
    me, memo = prepare(new), ScoreMemo()
    first = memo.score(new, me, members[:20])
    again = memo.score(new, me, members[10:])  # as a second partition's pools overlap the first's
    assert first == score_members(me, members[:20])
    assert again == score_members(me, members[10:])
    assert (memo.misses, memo.hits) == (29, 10)


def test_a_new_version_of_a_member_or_of_the_article_is_scored_afresh() -> None:
    new, member, *_ = pool()
    me, memo = prepare(new), ScoreMemo()
    memo.score(new, me, [member])
    updated = msgspec.structs.replace(member, version=2)
    memo.score(new, me, [updated])
    newer = msgspec.structs.replace(new, version=2)
    memo.score(newer, prepare(newer), [member])
    assert (memo.misses, memo.hits) == (3, 0)


def test_it_keeps_only_the_newest_articles() -> None:
    items = pool()
    memo = ScoreMemo(articles_kept=2)
    for new in items[:3]:
        memo.score(new, prepare(new), items[10:12])
    memo.score(items[0], prepare(items[0]), items[10:12])  # evicted: scored again
    memo.score(items[2], prepare(items[2]), items[10:12])  # still kept
    assert (memo.misses, memo.hits) == (8, 2)


def test_the_twin_on_six_partitions_scores_fewer_pairs_for_the_same_lists() -> None:
    articles = synthetic(60)
    with_memo, without = MemorySink(partitions=6), MemorySink(partitions=6, memo=ScoreMemo(articles_kept=0))
    with_memo.feed(*articles)
    without.feed(*articles)
    assert with_memo.snapshot() == without.snapshot()
    assert with_memo.memo.hits > 0 and without.memo.hits == 0
    assert with_memo.memo.misses < without.memo.misses
