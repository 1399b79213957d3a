"""`newsflow eval related`: how well the relatedness score agrees with human judgement.

Human judgement = Reuters-21578's editors' topic labels: two stories are "related" when
they share a topic (grain, crude, acq, ...). The labels never reach the score: articles
are built from title, body, date, and the editors' people/orgs/places fields, or, when
the categorizer is importable, from what it predicts. Reported:
  * AUC: probability that a random related pair outscores a random unrelated pair,
    for the blended score and for each signal alone (which signals carry weight);
  * precision@k: of each query's top k (the list the sink would serve), the share
    sharing a topic, next to the base rate a random list would get.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from services.core.clock import utc_iso
from services.core.models import Article, Dedupe, Extraction, IngestMeta, Place
from services.related import candidates
from services.related.scoring import WEIGHTS, Prepared, features, parts, prepare, rank, score_prepared
from services.sink.offline import OfflineViews

DEFAULT_LIMIT = 2000
PAIRS = 40_000
QUERIES = 300
K = 10
STREAM_DOCS = 1000


def corpus_files(corpus_dir: Path) -> list[Path]:
    """Reuters JSON files under the corpora root, the reuters21578 dir, or json-data itself."""
    for candidate in (corpus_dir / "reuters21578" / "json-data", corpus_dir / "json-data", corpus_dir):
        files = sorted(candidate.glob("*.json"))
        if files:
            return files
    raise FileNotFoundError(f"no Reuters-21578 json files under {corpus_dir}")


def _date(text: str) -> str | None:
    try:
        return utc_iso(datetime.strptime(text.strip()[:20], "%d-%b-%Y %H:%M:%S").replace(tzinfo=UTC))
    except ValueError:
        return None


def load_docs(corpus_dir: Path, limit: int) -> list[dict[str, Any]]:
    """The first `limit` documents with a topic label and a body, in corpus order."""
    docs: list[dict[str, Any]] = []
    for path in corpus_files(corpus_dir):
        for doc in orjson.loads(path.read_bytes()):
            if doc.get("topics") and (doc.get("body") or "").strip() and doc.get("title"):
                docs.append(doc)
                if len(docs) >= limit:
                    return docs
    return docs


def to_article(doc: dict[str, Any]) -> Article:
    newid = str(doc.get("attrs", {}).get("newid") or len(doc.get("body", "")))
    when = _date(doc.get("date", "")) or "1987-01-01T00:00:00.000Z"
    return Article(
        id=f"reuters-{newid}",
        ingest=IngestMeta(id=f"reuters-{newid}", received_at=when),
        title=doc["title"].title(),
        published_at=when,
        body=doc.get("body", ""),
        extraction=Extraction(format="json"),
        people=list(doc.get("people") or []),
        organizations=list(doc.get("orgs") or []) + list(doc.get("companies") or []),
        places=[Place(name=p) for p in doc.get("places") or []],
        dedupe=Dedupe(status="unique", fingerprint=newid),
    )


def _categorizer() -> Callable[[Article], Article] | None:
    try:
        from services.categorizer.pipeline import Categorizer  # type: ignore[import-not-found]
    except ImportError:
        return None
    return Categorizer.load().categorize  # type: ignore[no-any-return]


def auc(scores: list[float], positive: list[bool]) -> float:
    """Mann-Whitney AUC with ties counted half."""
    order = sorted(range(len(scores)), key=lambda i: scores[i])
    ranks = [0.0] * len(scores)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and scores[order[j + 1]] == scores[order[i]]:
            j += 1
        for m in range(i, j + 1):
            ranks[order[m]] = (i + j) / 2 + 1
        i = j + 1
    pos = sum(positive)
    neg = len(positive) - pos
    if not pos or not neg:
        return float("nan")
    rank_sum = sum(r for r, p in zip(ranks, positive, strict=True) if p)
    return (rank_sum - pos * (pos + 1) / 2) / (pos * neg)


def _pairs(n: int, count: int, rng: random.Random) -> list[tuple[int, int]]:
    seen: set[tuple[int, int]] = set()
    while len(seen) < min(count, n * (n - 1) // 2):
        i, j = rng.randrange(n), rng.randrange(n)
        if i != j:
            seen.add((min(i, j), max(i, j)))
    return sorted(seen)


def simulate_stream(articles: list[Article], k: int) -> dict[str, list[str]]:
    """Related lists as the stream's agents build them (pools, offers), without Kafka.

    Articles arrive in publication order through the offline twin of the sink and the
    related worker (services.sink.offline), on one partition.
    """
    twin = OfflineViews(partitions=1, k=k, now="2026-01-01T00:00:00Z")
    twin.feed(*sorted(articles, key=lambda a: (a.published_at or "", a.id)))
    out = {}
    for key, value in twin.tables["related"].items():
        state = candidates.decode_state(value)
        out[key.decode()] = [item.id for item in state.related] if state else []
    return out


def evaluate_related(corpus_dir: Path, limit: int = DEFAULT_LIMIT) -> dict[str, Any]:
    started = time.perf_counter()
    docs = load_docs(Path(corpus_dir), limit)
    categorize = _categorizer()
    articles = [to_article(d) for d in docs]
    if categorize is not None:
        articles = [categorize(a) for a in articles]
    prepared: list[Prepared] = [prepare(features(a)) for a in articles]
    labels = [frozenset(d["topics"]) for d in docs]
    rng = random.Random(21578)

    pairs = _pairs(len(docs), PAIRS, rng)
    related = [bool(labels[i] & labels[j]) for i, j in pairs]
    score_started = time.perf_counter()
    blended = [score_prepared(prepared[i], prepared[j])[0] for i, j in pairs]
    per_pair_us = (time.perf_counter() - score_started) / max(1, len(pairs)) * 1e6
    signals = {name: [] for name in WEIGHTS}  # type: dict[str, list[float]]
    for i, j in pairs:
        for name, value in parts(prepared[i], prepared[j]).items():
            signals[name].append(value)

    queries = rng.sample(range(len(docs)), min(QUERIES, len(docs)))
    index = {p.features.id: n for n, p in enumerate(prepared)}
    precision, base, empty = [], [], 0
    for q in queries:
        top = rank(prepared[q], prepared, K)
        if not top:
            empty += 1
            continue
        precision.append(sum(bool(labels[q] & labels[index[t.id]]) for t in top) / len(top))
        base.append(sum(bool(labels[q] & labels[n]) for n in range(len(docs)) if n != q) / (len(docs) - 1))
    mean = lambda xs: sum(xs) / len(xs) if xs else float("nan")  # noqa: E731

    # The stream's lists (candidates from shared index keys only) vs the all-pairs ones.
    stream_started = time.perf_counter()
    streamed = simulate_stream(articles[:STREAM_DOCS], K)
    stream_s = time.perf_counter() - stream_started
    sub = prepared[:STREAM_DOCS]
    stream_precision, overlap = [], []
    for q in range(len(sub)):
        got = streamed.get(sub[q].features.id, [])
        offline = {t.id for t in rank(sub[q], sub, K)}
        if got:
            stream_precision.append(sum(bool(labels[q] & labels[index[i]]) for i in got) / len(got))
        if offline:
            overlap.append(len(offline & set(got)) / len(offline))
    return {
        "corpus": str(corpus_dir),
        "documents": len(docs),
        "features": "categorizer" if categorize else "reuters people/orgs/places fields + text",
        "pairs": len(pairs),
        "related_pairs": sum(related),
        "auc": round(auc(blended, related), 4),
        "auc_by_signal": {name: round(auc(values, related), 4) for name, values in signals.items()},
        "k": K,
        "queries": len(precision),
        "queries_without_candidates": empty,
        "precision_at_k": round(mean(precision), 4),
        "base_rate": round(mean(base), 4),
        "stream_documents": len(sub),
        "stream_precision_at_k": round(mean(stream_precision), 4),
        "stream_recall_of_offline_top_k": round(mean(overlap), 4),
        "stream_ms_per_article": round(stream_s / max(1, len(sub)) * 1000, 2),
        "score_us_per_pair": round(per_pair_us, 1),
        "seconds": round(time.perf_counter() - started, 1),
    }


def format_report(report: dict[str, Any]) -> str:
    signals = ", ".join(f"{k} {v}" for k, v in report["auc_by_signal"].items())
    return "\n".join(
        [
            f"related: Reuters-21578, {report['documents']} documents ({report['features']})",
            f"  AUC (shared topic vs not, {report['pairs']} pairs, {report['related_pairs']} related): "
            f"{report['auc']}",
            f"  AUC per signal alone: {signals}",
            f"  precision@{report['k']} over {report['queries']} queries: {report['precision_at_k']} "
            f"(random list: {report['base_rate']}; "
            f"{report['queries_without_candidates']} without candidates)",
            f"  stream (pools of shared index keys, {report['stream_documents']} documents in date order): "
            f"precision@{report['k']} {report['stream_precision_at_k']}, "
            f"{report['stream_recall_of_offline_top_k']} of the all-pairs top {report['k']} found, "
            f"{report['stream_ms_per_article']} ms per article",
            f"  {report['score_us_per_pair']} µs per scored pair; {report['seconds']} s in all",
        ]
    )
