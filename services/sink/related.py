"""Relatedness: a pure score between two articles, used by the sink and `newsflow related`.

The score blends what people mean by "related": the same story, shared named people
and organisations, shared places, shared topics, and the publisher's own related links
matched by title. Recent candidates are preferred. Scores are in [0, 1].
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from services.core.clock import parse_utc
from services.core.models import Article, RelatedItem

WEIGHTS = {"story": 0.45, "names": 0.25, "places": 0.1, "topic": 0.15, "links": 0.3}
HALF_LIFE_DAYS = 3.0


def _jaccard(a: Iterable[str], b: Iterable[str]) -> float:
    sa, sb = {x.lower() for x in a}, {x.lower() for x in b}
    if not sa or not sb:
        return 0.0
    return len(sa & sb) / len(sa | sb)


def _when(article: Article) -> datetime | None:
    try:
        return parse_utc(article.published_at or article.ingest.received_at)
    except ValueError:
        return None


def score(a: Article, b: Article) -> tuple[float, str]:
    """(score, main reason) of `b` as a related article for `a`."""
    parts = {
        "story": 1.0
        if a.dedupe and b.dedupe and a.dedupe.story_id and a.dedupe.story_id == b.dedupe.story_id
        else 0.0,
        "names": _jaccard(
            (a.people or []) + (a.organizations or []), (b.people or []) + (b.organizations or [])
        ),
        "places": _jaccard(a.countries or [], b.countries or []),
        "topic": _jaccard([t.code for t in a.topics or []], [t.code for t in b.topics or []]),
        "links": 1.0
        if b.title and b.title.strip().lower() in {link.title.strip().lower() for link in a.links.related}
        else 0.0,
    }
    raw = sum(WEIGHTS[k] * v for k, v in parts.items())
    when_a, when_b = _when(a), _when(b)
    if when_a and when_b:
        days = abs((when_a - when_b).total_seconds()) / 86400
        raw *= 0.75 + 0.25 * 0.5 ** (days / HALF_LIFE_DAYS)
    reason = max(parts, key=lambda k: WEIGHTS[k] * parts[k])
    return min(1.0, round(raw, 4)), reason


def top_related(article: Article, candidates: Iterable[Article], k: int) -> list[RelatedItem]:
    scored = []
    for other in candidates:
        if other.id == article.id:
            continue
        value, reason = score(article, other)
        if value > 0:
            scored.append(RelatedItem(id=other.id, score=value, reason=reason, title=other.title))
    scored.sort(key=lambda item: (-item.score, item.id))
    return scored[:k]
