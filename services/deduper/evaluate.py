"""`newsflow eval dedupe`: precision, recall and false-positive rate on a labelled stream.

The stream (corpus.py) is run in arrival order through the real path: pages through
`services.normalizer.pipeline.normalize` when it imports (else each item's own text,
with a note: page chrome is then not exercised), then `dedupe` on one `InMemoryStore`
with `now` = arrival time, so window eviction runs as in production.

Judging a `duplicate` verdict: right when it points into the same labelled cluster
(the base article, its exact copies), or when the two clean texts meet the deduper's
rule computed *exactly* on their shingle sets instead of sketched (Jaccard >= 0.75, or
one is >= 80 % inside the other without the new one adding half again); the latter
covers Reuters' own unlabelled near copies, which are then not counted as negatives.
Anything else flagged is a false positive. Same-topic pairs are also checked one by
one (verification only, no LSH), the strictest view of the false-positive rate.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import msgspec
import numpy as np

from services.core.clock import utc_iso
from services.core.models import Article, Extraction, IngestMeta, Place, RawArticle, Source
from services.deduper.corpus import VARIANT_KINDS, Item, build_stream, iter_pairs_same_topic, load_reuters
from services.deduper.decide import dedupe
from services.deduper.fingerprint import fingerprint, normalize_body, normalize_parts, shingle_hashes, tokens
from services.deduper.index import BandEntry, InMemoryStore, pack_positions, pack_sig
from services.deduper.params import DedupeParams
from services.deduper.similarity import Packed, compare, is_near_duplicate

Normalize = Callable[[RawArticle], Article]
DEFAULT_CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpora"  # ../shared/corpora
NEGATIVE_KINDS = ("base", "same_chrome")
TRUE_CONTAINMENT = 0.8  # a text 80 % inside an earlier one is its (cut) copy


def load_normalizer() -> tuple[Normalize | None, str]:
    """The real normalizer if importable now (it is developed in parallel), else None."""
    try:
        from services.normalizer.pipeline import normalize
    except Exception as exc:  # any import-time failure means: not usable yet
        return None, f"normalizer not importable ({type(exc).__name__}: {exc})"
    return normalize, "services.normalizer.pipeline.normalize"


def to_article(item: Item, normalize: Normalize | None) -> Article:
    """The item as the deduper would receive it (categorizer fields from Reuters labels)."""
    ingest = IngestMeta(id=f"eval-{item.id}", received_at=utc_iso(item.time), source="eval")
    meta = item.meta
    extra: dict[str, Any] = {
        "places": [Place(name=p) for p in meta.get("places", [])],
        "organizations": meta.get("organizations", []),
        "people": meta.get("people", []),
    }
    if normalize is None:
        return Article(
            id=item.id,
            ingest=ingest,
            url=item.url,
            canonical_url=item.url,
            source=Source(name=item.site),
            title=item.title,
            body=item.body,
            published_at=utc_iso(item.time),
            extraction=Extraction(format="text"),
            **extra,
        )
    raw = RawArticle(
        ingest=ingest,
        content=item.page,
        format=item.format,  # type: ignore[arg-type]
        url=item.url,
        source=item.site,
    )
    article = normalize(raw)
    return msgspec.structs.replace(article, id=item.id, published_at=utc_iso(item.time), **extra)


@dataclass(slots=True)
class _Truth:
    """Exact (not sketched) shingle similarity of texts, cached."""

    params: DedupeParams
    shingles: dict[str, np.ndarray] = field(default_factory=dict)

    def similar(self, new: Item, old: Item) -> bool:
        """The clean texts meet the near-duplicate thresholds (new in old)."""
        return self.similar_texts(new.body, old.body)

    def similar_texts(self, new: str, old: str) -> bool:
        """The deduper's rule, computed exactly: near-equal, or `new` a cut of `old`, or
        `old` a cut of `new` that adds less than `superset_ratio`."""
        a, b = self._set(new), self._set(old)
        if a.size == 0 or b.size == 0:
            return False
        inter = np.intersect1d(a, b, assume_unique=True).size
        if inter / (a.size + b.size - inter) >= self.params.near_jaccard:
            return True
        if inter / a.size >= TRUE_CONTAINMENT:
            return True
        return inter / b.size >= TRUE_CONTAINMENT and a.size < self.params.superset_ratio * b.size

    def _set(self, text: str) -> np.ndarray:
        if text not in self.shingles:
            toks = tokens(normalize_body(text))
            self.shingles[text] = np.unique(shingle_hashes(toks, self.params.shingle_size))
        return self.shingles[text]


def _ratio(num: int, den: int) -> float | None:
    return round(num / den, 4) if den else None


def evaluate_dedupe(
    corpus_dir: Path,
    limit: int | None = None,
    *,
    params: DedupeParams | None = None,
    pairs: int = 20_000,
    normalize: Normalize | bool | None = True,
    echo: bool = True,
    timing_runs: int = 3,
    raw: bool = True,
) -> dict[str, Any]:
    """Run the labelled stream; returns the figures `format_report` prints.

    `limit` caps the Reuters articles used as bases (all ~19,000 with a body if None);
    `normalize=False` forces the fallback path, a callable replaces the normalizer.
    With a normalizer and `raw`, the stream is also run on each item's clean text
    (`report["raw"]`): the deduper's own figures next to the stream path's, so a gap
    between the two shows what extraction costs.
    Throughput is CPU time in `dedupe` only, the best of `timing_runs` replays of the
    stream on a fresh store (the machine is shared: the best run is the capacity).
    """
    params = params or DedupeParams()
    bases = load_reuters(corpus_dir, limit)
    items = build_stream(bases)
    if normalize is True:
        normalizer, note = load_normalizer()
    else:
        normalizer = normalize or None
        note = "given normalizer" if normalizer else "normalizer disabled"
    if normalizer is None:
        note += ": using each item's own text as the body; page chrome is not exercised"
    if echo:
        print(f"note: {note}")
    truth = _Truth(params)
    root = _exact_roots(items, params.window)
    results, seconds, failures, store = _run(items, normalizer, params, timing_runs)
    report = _judge(results, _first_by_id(results), root, truth)
    lost = report["extraction_lost"] = _extraction_lost(results, truth) if normalizer else {}
    found = sum(report["recall"][k]["detected"] for k in VARIANT_KINDS if k in report["recall"])
    total = sum(report["recall"][k]["n"] for k in VARIANT_KINDS if k in report["recall"])
    report["near_recall_extractable"] = _ratio(found, total - sum(lost.values()))
    if normalizer is not None and raw:  # the same stream on the clean texts, for comparison
        raw_results, raw_seconds, _, _ = _run(items, None, params, 1)
        report["raw"] = _judge(raw_results, _first_by_id(raw_results), root, truth)
        report["raw"]["articles_per_s"] = round(len(raw_results) / raw_seconds, 1) if raw_seconds else None
    report.update(
        corpus=str(corpus_dir),
        normalizer=note,
        bases=len(bases),
        articles=len(results),
        normalizer_failures=failures,
        seconds=round(seconds, 3),
        articles_per_s=round(len(results) / seconds, 1) if seconds else None,
        store_keys=store.size(),
        store_bytes=_store_bytes(store),
        same_topic_pairs=_pairs(bases, pairs, params, truth),
    )
    return report


def _run(
    items: list[Item], normalizer: Normalize | None, params: DedupeParams, timing_runs: int
) -> tuple[list[tuple[Item, Article]], float, int, InMemoryStore]:
    """(items with verdicts, CPU s in `dedupe`, pages the normalizer refused, store)."""
    store, seconds, failures = InMemoryStore(), 0.0, 0
    results: list[tuple[Item, Article]] = []
    for item in items:
        try:
            article = to_article(item, normalizer)
        except Exception:  # a page the normalizer refuses is its failure, not ours
            failures += 1
            continue
        start = time.process_time()  # CPU time: the figure per worker, whatever else runs
        out = dedupe(article, store, now=item.time, settings=params)
        seconds += time.process_time() - start
        results.append((item, out))
    for _ in range(timing_runs - 1):
        seconds = min(seconds, _replay([(item.time, article) for item, article in results], params))
    return results, seconds, failures, store


def _first_by_id(results: list[tuple[Item, Article]]) -> dict[str, Item]:
    """Item per article id, the first one (a re-ingest or update reuses its base's id)."""
    by_id: dict[str, Item] = {}
    for item, _ in results:
        by_id.setdefault(item.id, item)
    return by_id


def _replay(stream: list[tuple[Any, Article]], params: DedupeParams) -> float:
    """CPU seconds to deduplicate the stream again on a fresh store."""
    store = InMemoryStore()
    articles = [(when, msgspec.structs.replace(article, dedupe=None)) for when, article in stream]
    start = time.process_time()
    for when, article in articles:
        dedupe(article, store, now=when, settings=params)
    return time.process_time() - start


def _extraction_lost(results: list[tuple[Item, Article]], truth: _Truth) -> dict[str, int]:
    """Variants the normalizer made unrecognizable: their extracted body and their base's
    are no longer near duplicates even by exact comparison, of the full texts nor (as the
    deduper does when only one has list-like rows) of one's prose with the other's text.
    Misses the deduper could not avoid; they point at extraction, not at deduplication."""

    def texts(article: Article) -> tuple[str, str | None]:  # what the deduper compares
        return normalize_parts(article.body, article.title)

    bases = {item.base: texts(article) for item, article in results if item.kind == "base"}
    lost: Counter[str] = Counter()
    for item, article in results:
        if item.kind not in VARIANT_KINDS or item.base not in bases:
            continue
        (new, new_prose), (old, old_prose) = texts(article), bases[item.base]
        pairs = [(new, old)]
        if (new_prose is None) != (old_prose is None):
            pairs.append((new_prose or new, old_prose or old))
        if not any(truth.similar_texts(a, b) for a, b in pairs):
            lost[item.kind] += 1
    return dict(lost)


def _exact_roots(items: list[Item], window: timedelta) -> dict[int, int]:
    """Base index -> the first base with the same normalized text seen within the window
    (the deduper forgets older ones by design); relabels those later copies `exact`."""
    first: dict[str, Item] = {}
    root: dict[int, int] = {}
    for item in items:
        if item.kind in NEGATIVE_KINDS:
            key = normalize_body(item.body)
            original = first.get(key)
            if original is None or item.time - original.time > window:
                first[key] = original = item
            root[item.base] = original.base
            if original is not item:
                item.kind = "exact"
    return root


def _judge(
    results: list[tuple[Item, Article]], by_id: dict[str, Item], root: dict[int, int], truth: _Truth
) -> dict[str, Any]:
    labelled: Counter[str] = Counter()
    hit: Counter[str] = Counter()
    flagged: Counter[str] = Counter()
    natural: Counter[str] = Counter()
    predicted: Counter[str] = Counter()
    correct: Counter[str] = Counter()
    story_ok = story_n = 0
    story_of: dict[str, str | None] = {}
    for item, article in results:
        verdict = article.dedupe
        assert verdict is not None
        if verdict.status != "duplicate":
            story_of[article.id] = verdict.story_id
        labelled[item.kind] += 1
        right = False
        if verdict.status == "duplicate" and verdict.kind in ("exact", "near"):
            target = by_id.get(verdict.duplicate_of or "")
            right = target is not None and (
                root.get(target.base) == root.get(item.base) or truth.similar(item, target)
            )
            story_n += 1
            story_ok += verdict.story_id == story_of.get(verdict.duplicate_of or "")
        elif verdict.kind == "reingest":
            right = item.kind == "reingest"
        elif verdict.status == "update":
            right = item.kind == "update" and verdict.version == 2
        if verdict.status != "unique":
            predicted[verdict.kind or "?"] += 1
            correct[verdict.kind or "?"] += right
        if item.kind in NEGATIVE_KINDS:
            if verdict.status != "unique":
                (natural if right else flagged)[item.kind] += 1
        elif right:
            hit[item.kind] += 1
    kinds = {
        k: {"n": labelled[k], "detected": hit[k], "recall": _ratio(hit[k], labelled[k])}
        for k in ("exact", *VARIANT_KINDS, "reingest", "update")
        if labelled[k]
    }
    near_n = sum(labelled[k] for k in VARIANT_KINDS)
    return {
        "recall": kinds,
        "near_recall": _ratio(sum(hit[k] for k in VARIANT_KINDS), near_n),
        "precision": {
            k: {
                "predicted": predicted[k],
                "correct": correct[k],
                "precision": _ratio(correct[k], predicted[k]),
            }
            for k in sorted(predicted)
        },
        "negatives": {
            k: {
                "n": labelled[k] - natural[k],
                "false_duplicates": flagged[k],
                "fpr": _ratio(flagged[k], labelled[k] - natural[k]),
                "natural_near_duplicates": natural[k],
            }
            for k in NEGATIVE_KINDS
        },
        "stories": {
            "duplicates_with_story": _ratio(story_ok, story_n),
            "stories": len({a.dedupe.story_id for _, a in results if a.dedupe}),
            "articles": len(results),
        },
    }


def _pairs(bases: list[Any], limit: int, params: DedupeParams, truth: _Truth) -> dict[str, Any]:
    """Same-topic pairs through verification alone (as if LSH had proposed every pair)."""
    tested = flagged = natural = 0
    cache: dict[int, tuple[Any, Packed, Item]] = {}

    def prepared(base: Any) -> tuple[Any, Packed, Item]:
        if base.index not in cache:
            body = "\n\n".join(base.paragraphs)
            article = Article(
                id=str(base.index),
                ingest=IngestMeta(id="p", received_at=utc_iso(base.time)),
                body=body,
                extraction=Extraction(format="text"),
            )
            fp = fingerprint(article, params)
            item = Item("base", base.index, "", "", "", "", body, base.time)
            cache[base.index] = (fp, Packed.of(fp, params), item)
        return cache[base.index]

    for a, b in iter_pairs_same_topic(bases, limit):
        (fa, _, ia), (fb, pb, ib) = prepared(a), prepared(b)
        if fa.content_hash == fb.content_hash:
            continue
        tested += 1
        entry = BandEntry(
            id="a",
            seen=0,
            time=0,
            n=fa.n_shingles,
            hash=fa.content_hash,
            sig=pack_sig(fa.sketch.sig, params.sig_bits),
            pos=pack_positions(fa.positions, fa.n_shingles),
            story="a",
        )
        if is_near_duplicate(compare(fb, pb, entry, params), fb, params):
            if truth.similar(ib, ia):
                natural += 1
            else:
                flagged += 1
    return {
        "pairs": tested - natural,
        "false_duplicates": flagged,
        "fpr": _ratio(flagged, tested - natural),
        "natural_near_duplicates": natural,
    }


def _store_bytes(store: InMemoryStore) -> dict[str, int]:
    return {
        name: sum(len(k) + len(msgspec.json.encode(v)) for k, v in getattr(store, name).items())
        for name in ("bands", "names", "urls", "stories")
    }


def format_report(result: dict[str, Any]) -> str:
    """Human-readable table of `evaluate_dedupe`'s figures."""

    def pct(value: float | None) -> str:
        return "-" if value is None else f"{100 * value:.2f}%"

    raw = result.get("raw")
    through = "through normalizer" if raw else "recall"

    def col(section: str, kind: str, key: str) -> str:
        """The raw-text figure next to the stream path's, when both were run."""
        if not raw:
            return ""
        row = raw[section].get(kind) if kind else raw
        return f"{pct(row.get(key) if row else None):>12}"

    lines = [
        f"deduper evaluation on {result['corpus']} ({result['bases']} Reuters bases, "
        f"{result['articles']} articles)",
        f"normalizer: {result['normalizer']}"
        + (f" ({result['normalizer_failures']} pages refused)" if result["normalizer_failures"] else ""),
    ]
    if raw:
        lines.append(
            "two runs of the same stream: 'through normalizer' = pages through the normalizer "
            "(the stream path), 'raw text' = each item's clean text (the deduper alone)"
        )
    lines += [
        "",
        f"{'recall by variant':<22}{'n':>7}{'found':>8}{through:>20}" + (f"{'raw text':>12}" if raw else ""),
    ]
    for kind, row in result["recall"].items():
        lines.append(
            f"  {kind:<20}{row['n']:>7}{row['detected']:>8}{pct(row['recall']):>20}"
            + col("recall", kind, "recall")
        )
    lines.append(
        f"  {'all near variants':<20}{'':>15}{pct(result['near_recall']):>20}" + col("", "", "near_recall")
    )
    lost = result.get("extraction_lost") or {}
    if lost:
        lines.append(
            "  variants the normalizer left unrecognizable (exact similarity of the "
            "extracted bodies below threshold): " + ", ".join(f"{k} {n}" for k, n in sorted(lost.items()))
        )
        lines.append(
            f"  {'near, extractable':<20}{'':>15}"
            f"{pct(result['near_recall_extractable']):>20}  (the deduper's own recall on them)"
        )
    lines += [
        "",
        f"{'precision by verdict':<22}{'n':>7}{'right':>8}{through:>20}"
        + (f"{'raw text':>12}" if raw else ""),
    ]
    for kind, row in result["precision"].items():
        lines.append(
            f"  {kind:<20}{row['predicted']:>7}{row['correct']:>8}{pct(row['precision']):>20}"
            + col("precision", kind, "precision")
        )
    fpr = "FPR through norm." if raw else "FPR"
    lines += [
        "",
        f"{'false positives':<22}{'n':>7}{'false':>8}{fpr:>20}"
        + (f"{'raw text':>12}" if raw else "")
        + "  natural near-dups",
    ]
    rows = {**result["negatives"], "same_topic_pairs": result["same_topic_pairs"]}
    for kind, row in rows.items():
        n = row.get("n", row.get("pairs"))
        other = col("negatives", kind, "fpr") if kind in result["negatives"] else (f"{'':>12}" if raw else "")
        lines.append(
            f"  {kind:<20}{n:>7}{row['false_duplicates']:>8}{pct(row['fpr']):>20}{other}"
            f"  {row['natural_near_duplicates']}"
        )
    stories = result["stories"]
    lines += [
        "",
        f"stories: {stories['stories']} for {stories['articles']} articles; duplicates carrying "
        f"their original's story: {pct(stories['duplicates_with_story'])}",
        f"throughput: {result['articles_per_s']} articles/s per worker ({result['seconds']} CPU s "
        "in dedupe, one process, normalizer excluded)"
        + (f"; raw text run: {raw['articles_per_s']} articles/s (one run, not best of 3)" if raw else ""),
        "store at end: "
        + ", ".join(
            f"{k} {n} keys / {result['store_bytes'][k] // 1024} KiB" for k, n in result["store_keys"].items()
        ),
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """`python -m services.deduper.evaluate [--corpus DIR] [--limit N] [--json]`, the same
    as `newsflow eval dedupe`."""
    import argparse
    import json

    parser = argparse.ArgumentParser(prog="newsflow eval dedupe")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--limit", type=int, default=None, help="Reuters articles used as bases")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    result = evaluate_dedupe(args.corpus, args.limit, echo=not args.json)
    print(json.dumps(result, indent=2, default=str) if args.json else format_report(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
