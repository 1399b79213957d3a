"""The stream's related computation: index keys, bounded pools, offers, per-article merge."""

from services.core.models import Dedupe, Place, RelatedItem, Topic
from services.related import candidates
from services.related.candidates import Offer, RelatedState, apply_offer, index_keys, join_pool, score_in_pool
from services.related.scoring import Features, features
from tests.unit.related.test_scoring import art

POLITICS = [Topic(code="medtop:11000000", label="politics", score=0.9)]


def feat(id_: str, when: str = "2026-01-01T00:00:00Z", version: int = 1, **kw: object) -> Features:
    return Features(id=id_, version=version, when=when, **kw)  # type: ignore[arg-type]


def test_index_keys_cover_story_topic_country_names_places_terms_and_titles() -> None:
    article = art(
        "a",
        title="Gerasimov meets Aliyev in Baku",
        topics=POLITICS,
        countries=["AZ"],
        places=[Place(name="Baku", country="AZ")],
        people=["Valery Gerasimov"],
        dedupe=Dedupe(status="unique", fingerprint="f", story_id="s1"),
    )
    keys = index_keys(features(article))
    assert keys[0] == "story:s1"
    assert {"topic:medtop:11000000", "country:az", "name:valery gerasimov", "place:baku"} <= set(keys)
    assert "title:gerasimov meets aliyev in baku" in keys
    assert any(k.startswith("kw:") for k in keys)
    assert len(keys) == len(set(keys)) <= sum(candidates.LIMITS.values())


def test_link_titles_are_index_keys_so_a_linked_article_meets_its_link() -> None:
    from services.core.models import LinkItem, Links

    linking = features(art("a", links=Links(related=[LinkItem(title="Oil prices RISE!")])))
    linked = features(art("b", title="Oil prices rise"))
    assert set(index_keys(linking)) & set(index_keys(linked)) == {"title:oil prices rise"}


def test_pool_is_newest_first_bounded_and_keeps_the_newest_version() -> None:
    pool: list[Features] = []
    for n in range(5):
        joined = join_pool(pool, feat(f"x{n}", f"2026-01-0{n + 1}T00:00:00Z"), size=3)
        assert joined is not None
        pool = joined
    assert [f.id for f in pool] == ["x4", "x3", "x2"]
    updated = join_pool(pool, feat("x3", "2026-01-04T00:00:00Z", version=2, title="v2"), size=3)
    assert updated is not None and [f.title for f in updated if f.id == "x3"] == ["v2"]
    assert join_pool(updated, feat("x3", "2026-01-04T00:00:00Z", version=1), size=3) is None


def test_offers_go_to_the_new_article_and_back_to_its_best_matches() -> None:
    new = feat("new", names=("gerasimov",), topics=("medtop:11000000",))
    pool = [
        feat("same", names=("gerasimov",), topics=("medtop:11000000",)),
        feat("topic", topics=("medtop:11000000",)),
        feat("other", topics=("medtop:15000000",)),
    ]
    offers = score_in_pool(new, pool, k=10, reverse=1)
    forward, *backward = offers
    assert forward.target == "new" and [i.id for i in forward.items] == ["same", "topic"]
    assert [(o.target, o.items[0].id) for o in backward] == [("same", "new")]
    assert score_in_pool(new, pool, k=0) == []


def test_apply_offer_merges_by_id_keeps_best_k_and_reports_no_change() -> None:
    def item(id_: str, score: float) -> RelatedItem:
        return RelatedItem(id=id_, score=score, reason="text")

    state = apply_offer(None, Offer(target="a", version=1, items=[item("b", 0.5), item("c", 0.2)]), 2, "t1")
    assert state is not None and [i.id for i in state.related] == ["b", "c"]
    state = apply_offer(state, Offer(target="a", version=1, items=[item("d", 0.9), item("a", 1.0)]), 2, "t2")
    assert state is not None and [i.id for i in state.related] == ["d", "b"]  # never itself
    assert apply_offer(state, Offer(target="a", version=1, items=[item("e", 0.1)]), 2, "t3") is None


def test_a_newer_version_starts_a_fresh_list_and_older_offers_are_dropped() -> None:
    old = RelatedState(version=1, updated_at="t", related=[RelatedItem(id="b", score=0.9)])
    fresh = apply_offer(old, Offer(target="a", version=2, items=[RelatedItem(id="c", score=0.1)]), 5, "t2")
    assert fresh is not None and fresh.version == 2 and [i.id for i in fresh.related] == ["c"]
    assert (
        apply_offer(fresh, Offer(target="a", version=1, items=[RelatedItem(id="d", score=1)]), 5, "t") is None
    )


def test_feature_slot_gives_a_key_on_the_wanted_partition() -> None:
    from services.core.kafka.partitioner import hash_partition

    for partitions in (1, 3, 6, 12):
        for partition in range(partitions):
            slot = candidates.feature_slot("a000042", partition, partitions)
            assert hash_partition(candidates.feature_key("a000042", slot), partitions) == partition
            assert candidates.feature_slot("a000042", partition, partitions) == slot  # stable


def test_references_and_inline_pools_decode_and_join_alike() -> None:
    members = [feat(f"x{n}", f"2026-01-0{n + 1}T00:00:00Z") for n in range(4)]
    refs = [candidates.pool_ref(f, slot=n) for n, f in enumerate(members)]
    assert candidates.decode_pool(candidates.msgspec.json.encode(refs)) == refs
    assert candidates.decode_pool(candidates.msgspec.json.encode(members)) == members
    assert candidates.decode_pool(None) == []
    joined_refs = join_pool(refs, candidates.pool_ref(feat("x9", "2026-01-09T00:00:00Z"), 0), size=3)
    joined_feats = join_pool(members, feat("x9", "2026-01-09T00:00:00Z"), size=3)
    assert joined_refs is not None and joined_feats is not None
    assert [r.id for r in joined_refs] == [f.id for f in joined_feats] == ["x9", "x3", "x2"]


def test_members_decode_from_their_bytes_and_a_rewritten_value_decodes_anew() -> None:
    import msgspec

    first = feat("m", names=("ada lovelace",), topics=("t1",))
    newer = feat("m", version=2, names=("ada lovelace", "charles babbage"), topics=("t1",))
    raw, raw_newer = msgspec.json.encode(first), msgspec.json.encode(newer)
    assert candidates.decode_features(bytes(raw)) == first
    assert candidates.decode_features(bytes(raw)) is candidates.decode_features(bytes(raw))  # decoded once
    assert candidates.decode_features(raw_newer) == newer  # same id, new bytes: the new value
    assert candidates.decode_features(None) is None and candidates.decode_features(b"") is None


def test_scores_of_cached_members_equal_scores_of_fresh_ones() -> None:
    from services.related.scoring import prepare, score_both

    me = prepare(feat("new", names=("ada lovelace",), topics=("t1",), terms=("engine", "analytical")))
    members = [
        feat("a", names=("ada lovelace",), terms=("engine",)),
        feat("b", topics=("t1",), terms=("analytical", "engine")),
        feat("c", names=("someone else",)),
    ]
    for _ in range(2):  # the second round is served from the caches
        scored = candidates.score_members(me, members)
        for m in members:
            (fwd, _r1), (bwd, _r2) = score_both(me, prepare(m))
            assert (scored[m.id].forward, scored[m.id].backward) == (fwd, bwd)
