"""Scores of the newest articles, so one article is scored against a member only once.

Why: the related worker handles an article's index keys once per partition that holds
any of them (services.related.handlers.on_index), and its pools on different
partitions share most members (its topic, country and name pools hold the same recent
articles). With the default 6 partitions that scored 323 pairs per Reuters article
against 191 on one partition. A pair always scores the same (scoring.py is a pure
function of the two Features), so a worker that handles all of an article's batches in
a row (one worker owning every partition: they arrive together, services.sink.inline)
scores each pair once. Through Kafka the batches of one article may come apart; the
memo then simply misses.

Bounded (the last `ARTICLES_KEPT` new articles), owned by the app that built it (no
module state), and nothing in it needs to survive a restart.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable

from services.related.candidates import Scored, score_members
from services.related.scoring import Features, Prepared

ARTICLES_KEPT = 8
MemberKey = tuple[str, int]  # member id, version


class ScoreMemo:
    def __init__(self, articles_kept: int = ARTICLES_KEPT) -> None:
        self.articles_kept = articles_kept
        self._scores: OrderedDict[MemberKey, dict[MemberKey, Scored]] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def score(self, new: Features, me: Prepared, members: Iterable[Features]) -> dict[str, Scored]:
        """score_members(me, members), each pair computed at most once per new article."""
        known = self._scores.get((new.id, new.version))
        if known is None:
            known = self._scores[(new.id, new.version)] = {}
            while len(self._scores) > self.articles_kept:
                self._scores.popitem(last=False)
        else:
            self._scores.move_to_end((new.id, new.version))
        out: dict[str, Scored] = {}
        fresh: list[Features] = []
        for member in members:
            hit = known.get((member.id, member.version))
            if hit is None:
                fresh.append(member)
            else:
                out[member.id] = hit
        self.hits += len(out)
        self.misses += len(fresh)
        for member_id, scored in score_members(me, fresh).items():
            known[(member_id, scored.member.version)] = scored
            out[member_id] = scored
        return out
