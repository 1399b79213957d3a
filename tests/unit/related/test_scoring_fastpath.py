"""The sink's one-pass pool scoring gives exactly what the two-pass definition gives."""

from __future__ import annotations

import random

import msgspec

from services.related import candidates
from services.related.candidates import REVERSE_PER_KEY, Offer
from services.related.scoring import Features, features, prepare, rank, score_both, score_prepared
from tests.integration.sink.articles import synthetic


def _pool() -> list[Features]:
    """Synthetic articles, some sharing stories, some linking to each other's titles."""
    arts = synthetic(120, seed=5)
    feats = [features(a) for a in arts]
    rng = random.Random(3)
    linked = []
    for f in feats:
        targets = rng.sample(feats, 2)
        links = tuple(t.title_key for t in targets if t.title_key)
        linked.append(msgspec.structs.replace(f, links=links) if rng.random() < 0.4 else f)
    return linked


def _two_pass(new: Features, pool: list[Features], k: int) -> list[Offer]:
    """score_in_pool as first written: rank() forward, then score_prepared backward."""
    me = prepare(new)
    others = [prepare(f) for f in pool if f.id != new.id]
    offers = []
    forward = rank(me, others, k)
    if forward:
        offers.append(Offer(target=new.id, version=new.version, items=forward))
    backward = []
    for other in others:
        value, reason = score_prepared(other, me)
        if value > 0:
            backward.append((value, reason, other.features))
    backward.sort(key=lambda t: (-t[0], t[2].id))
    for value, reason, other_f in backward[:REVERSE_PER_KEY]:
        item = candidates.RelatedItem(id=new.id, score=value, reason=reason, title=new.title)
        offers.append(Offer(target=other_f.id, version=other_f.version, items=[item]))
    return offers


def test_score_both_equals_score_prepared_in_each_direction() -> None:
    pool = [prepare(f) for f in _pool()]
    for a in pool[:40]:
        for b in pool:
            assert score_both(a, b) == (score_prepared(a, b), score_prepared(b, a))


def test_score_in_pool_equals_the_two_pass_definition() -> None:
    feats = _pool()
    reasons = set()
    for i in range(0, 100, 3):
        new, pool = feats[i], feats[i + 1 : i + 65]
        for k in (1, 3, 10):
            offers = candidates.score_in_pool(new, pool, k)
            assert offers == _two_pass(new, pool, k)
            reasons |= {item.reason for offer in offers for item in offer.items}
    assert {"story", "links", "text"} <= reasons  # the comparison covered every kind of signal


def test_scoring_overlapping_pools_together_equals_scoring_each_pool_alone() -> None:
    """The rel-index batch scores each distinct member once; offers are as per key."""
    feats = _pool()
    k = 10
    for i in range(0, 50, 7):
        new = feats[i]
        pools = [feats[i + 1 + 9 * j : i + 65 + 9 * j] for j in range(5)]  # overlapping, like real keys
        pools.append([new, *feats[i + 30 : i + 40]])  # the article itself is never its own candidate
        batch = candidates.score_pools(new, pools, k)
        per_key = [offer for pool in pools for offer in candidates.score_in_pool(new, pool, k)]
        merged = None
        for offer in (o for o in per_key if o.target == new.id):
            merged = candidates.apply_offer(merged, offer, k, "t") or merged
        forward = [o.items for o in batch if o.target == new.id]
        assert forward == ([merged.related] if merged else [])
        reverse = [o for o in batch if o.target != new.id]
        told = {o.target: o for o in reverse}
        assert len(told) == len(reverse) >= REVERSE_PER_KEY  # each target once
        assert told == {o.target: o for o in per_key if o.target != new.id}


def test_ties_go_to_the_first_reason_as_in_score_prepared() -> None:
    from services.related.scoring import _finish

    assert _finish((0.0,) * 6, 1.0) == (0.0, "story")
    assert _finish((0.0, 0.1, 0.1, 0.0, 0.0, 0.0), 1.0) == (0.2, "names")
    assert _finish((0.0, 0.0, 0.0, 0.05, 0.0, 0.3), 0.5) == (0.175, "links")
