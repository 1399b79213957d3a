"""Relatedness: a pure score between two articles, used by the related worker and
`newsflow related`.

The score blends what people mean by "related": the same story, shared named people
and organisations, shared places, shared topics, similar wording, and the publisher's
own related links matched by title. Recent candidates are preferred (relative to the
article, so a stored score never changes with the wall clock). Scores are in [0, 1].

Scoring works on `Features`, a small extract of an article (sets of names, places,
topic codes, salient terms, link titles). The related worker ships Features, never whole
articles, between partitions (see services.related.candidates), and the offline command
and the evaluation use the very same function, so all three agree.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from typing import NamedTuple

import msgspec

from services.core.clock import parse_utc
from services.core.models import Article, RelatedItem

# Weights of the parts; the sum is clipped to 1. Tuned on Reuters-21578 (`newsflow eval related`).
WEIGHTS = {"story": 0.45, "names": 0.25, "places": 0.05, "topic": 0.1, "text": 0.4, "links": 0.3}
HALF_LIFE_DAYS = 3.0
TEXT_SCALE = 3.0  # term-set Jaccard of two texts on one subject is rarely above 1/3
MAX_TERMS = 24
_WORD = re.compile(r"[^\W\d_]{3,}")
_PUNCT = re.compile(r"[^\w\s]")
_SPACE = re.compile(r"\s+")
STOPWORDS = frozenset(
    """about above after again against all also among and any are around because been before being
    below between both but can could did does doing down during each even few for from further had
    has have having her here hers herself him himself his how however into its itself just last
    more most much must new not now off once one only other our ours out over own said same says
    she should since some still such than that the their theirs them then there these they this
    those through told too two under until very was were what when where which while who whom why
    will with would year years you your yours mln pct dlrs cts week weeks today yesterday monday
    tuesday wednesday thursday friday saturday sunday according percent per first made make may
    der die das und den dem des ein eine einer eines mit von für auf ist nicht sich auch les une
    des est pour dans qui que par sur pas plus con del los las por para una""".split()  # noqa: SIM905
)


class Features(msgspec.Struct, kw_only=True, frozen=True):
    """What scoring needs of an article; small enough to ship to other partitions."""

    id: str
    version: int = 1
    title: str | None = None
    when: str | None = None  # published_at, else received_at (RFC 3339 UTC)
    story: str | None = None
    names: tuple[str, ...] = ()
    places: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    terms: tuple[str, ...] = ()
    links: tuple[str, ...] = ()  # normalized titles of the publisher's related links
    title_key: str = ""  # norm_title(title), computed once at extraction
    ts: float | None = None  # `when` as a Unix timestamp, computed once at extraction
    received: str | None = None  # ingest time: what the sink's retention counts from


class Prepared(NamedTuple):
    """Features as sets, built once per article so pairwise scoring stays cheap."""

    features: Features
    title: str
    ts: float | None
    names: frozenset[str]
    places: frozenset[str]
    topics: frozenset[str]
    terms: frozenset[str]
    links: frozenset[str]


def norm_title(text: str | None) -> str:
    """Case-, accent-form- and punctuation-insensitive title, for link matching."""
    text = unicodedata.normalize("NFKC", text or "").casefold()
    return _SPACE.sub(" ", _PUNCT.sub(" ", text)).strip()


def salient_terms(title: str | None, text: str, limit: int = MAX_TERMS) -> tuple[str, ...]:
    """The most frequent content words of title (counted thrice) and text."""
    counts: Counter[str] = Counter()
    for word in _WORD.findall((title or "").casefold()):
        if word not in STOPWORDS:
            counts[word] += 3
    for word in _WORD.findall(text[:4000].casefold()):
        if word not in STOPWORDS:
            counts[word] += 1
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return tuple(word for word, _ in ranked[:limit])


def _lower(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v.strip().casefold() for v in values if v and v.strip()))


def _timestamp(when: str | None) -> float | None:
    try:
        return parse_utc(when).timestamp() if when else None
    except ValueError:
        return None


def features(article: Article) -> Features:
    when = article.published_at or article.ingest.received_at
    places = list(article.countries or [])
    places += [p.name for p in article.places or []]
    if article.dateline and article.dateline.place:
        places.append(article.dateline.place)
    text = " ".join(filter(None, [article.lead, article.body]))
    return Features(
        id=article.id,
        version=article.dedupe.version if article.dedupe else 1,
        title=article.title,
        when=when,
        story=article.dedupe.story_id if article.dedupe else None,
        names=_lower((article.people or []) + (article.organizations or [])),
        places=_lower(places),
        topics=tuple(dict.fromkeys(t.code for t in article.topics or [])),
        terms=salient_terms(article.title, text),
        links=tuple(dict.fromkeys(t for t in (norm_title(x.title) for x in article.links.related) if t)),
        title_key=norm_title(article.title),
        ts=_timestamp(when),
        received=article.ingest.received_at,
    )


def prepare(f: Features) -> Prepared:
    """Sets for scoring; title key and timestamp come precomputed (derived if absent)."""
    return Prepared(
        f,
        f.title_key or norm_title(f.title),
        f.ts if f.ts is not None else _timestamp(f.when),
        frozenset(f.names),
        frozenset(f.places),
        frozenset(f.topics),
        frozenset(f.terms),
        frozenset(f.links),
    )


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b or a.isdisjoint(b):  # most pairs share nothing: no set is built
        return 0.0
    shared = len(a & b)
    return shared / (len(a) + len(b) - shared)


def parts(a: Prepared, b: Prepared) -> dict[str, float]:
    """Each signal in [0, 1]; `links` is directional: a's publisher links to b."""
    story = a.features.story
    return {
        "story": 1.0 if story and story == b.features.story else 0.0,
        "names": _jaccard(a.names, b.names),
        "places": _jaccard(a.places, b.places),
        "topic": _jaccard(a.topics, b.topics),
        "text": min(1.0, TEXT_SCALE * _jaccard(a.terms, b.terms)),
        "links": 1.0 if b.title and b.title in a.links else 0.0,
    }


def recency(a: Prepared, b: Prepared) -> float:
    """1 for the same moment, 0.75 for far apart: closer in time = more related."""
    if a.ts is None or b.ts is None:
        return 1.0
    days = abs(a.ts - b.ts) / 86400
    return 0.75 + 0.25 * math.pow(0.5, days / HALF_LIFE_DAYS)


def score_prepared(a: Prepared, b: Prepared) -> tuple[float, str]:
    signal = parts(a, b)
    raw = sum(WEIGHTS[k] * v for k, v in signal.items()) * recency(a, b)
    reason = max(signal, key=lambda k: WEIGHTS[k] * signal[k])
    return min(1.0, round(raw, 4)), reason


_REASONS = tuple(WEIGHTS)  # story, names, places, topic, text, links: max() tie order


_W_STORY, _W_NAMES, _W_PLACES, _W_TOPIC, _W_TEXT, _W_LINKS = (WEIGHTS[r] for r in _REASONS)


def _weighted(shared: tuple[float, float, float, float, float], links: float) -> tuple[float, ...]:
    story, names, places, topic, text = shared
    return (
        _W_STORY * story,
        _W_NAMES * names,
        _W_PLACES * places,
        _W_TOPIC * topic,
        _W_TEXT * text,
        _W_LINKS * links,
    )


def _finish(weighted: tuple[float, ...], near: float) -> tuple[float, str]:
    """score_prepared's last step: the same sum order, rounding and tie-breaking (the
    first of equal maxima, as max() picks it; found in C, this is ~3x faster)."""
    raw = sum(weighted) * near
    return min(1.0, round(raw, 4)), _REASONS[weighted.index(max(weighted))]


def score_both(a: Prepared, b: Prepared) -> tuple[tuple[float, str], tuple[float, str]]:
    """(score_prepared(a, b), score_prepared(b, a)) with the symmetric signals computed once.

    Why: the sink scores every new article against its candidate pools in both directions
    (its own list and the reverse offers); this halves that work and skips the per-pair
    dicts, with results identical to score_prepared (a unit test compares them).
    """
    story = a.features.story
    shared = (
        1.0 if story and story == b.features.story else 0.0,
        _jaccard(a.names, b.names),
        _jaccard(a.places, b.places),
        _jaccard(a.topics, b.topics),
        min(1.0, TEXT_SCALE * _jaccard(a.terms, b.terms)),
    )
    near = recency(a, b)
    a_to_b = 1.0 if b.title and b.title in a.links else 0.0
    b_to_a = 1.0 if a.title and a.title in b.links else 0.0
    return _finish(_weighted(shared, a_to_b), near), _finish(_weighted(shared, b_to_a), near)


def score(a: Article, b: Article) -> tuple[float, str]:
    """(score, main reason) of `b` as a related article for `a`."""
    return score_prepared(prepare(features(a)), prepare(features(b)))


def rank(target: Prepared, candidates: Iterable[Prepared], k: int) -> list[RelatedItem]:
    """Top `k` candidates for `target` with a positive score, best first, ties by id."""
    scored = []
    own = target.features.id
    for other in candidates:
        if other.features.id == own:
            continue
        value, reason = score_prepared(target, other)
        if value > 0:
            scored.append(
                RelatedItem(id=other.features.id, score=value, reason=reason, title=other.features.title)
            )
    scored.sort(key=lambda item: (-item.score, item.id))
    return scored[:k]


def top_related(article: Article, candidates: Iterable[Article], k: int) -> list[RelatedItem]:
    """Offline/all-pairs form: rank whole articles against one article."""
    return rank(prepare(features(article)), [prepare(features(c)) for c in candidates], k)


def rank_all(articles: list[Article], k: int) -> list[tuple[str, list[RelatedItem]]]:
    """(id, top k) for every article against all others; features extracted once each."""
    prepared = [prepare(features(a)) for a in articles]
    return [(p.features.id, rank(p, prepared, k)) for p in prepared]
