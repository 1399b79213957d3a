"""Held-out evaluation (`newsflow eval categorizer`).

Only data the model was not trained on (splits in corpora.py):
  * AG News, the 30 % test share (hash split): top-1 accuracy and macro-F1 over the four
    AG classes after mapping the predicted IPTC topic back (politics or conflict ->
    World, sport -> Sports, economy... -> Business, science and technology -> Sci/Tech,
    any other IPTC topic -> "other", always wrong). Confusion table, and expected
    calibration error (ECE) of the primary score.
  * Reuters-21578, Lewis TEST documents with topics: all economic, so top-1 accuracy is
    "primary topic is economy, business and finance"; plus the share of emitted level-2
    subtopics consistent with the Reuters topic (corpora.REUTERS_LEVEL2), and country
    precision/recall against Reuters' own `places` tags (dateline passed as Dateline).
  * IPTC held-out concepts (20 % of names+definitions): 17-way accuracy and macro-F1:
    a coverage check for the topics no news corpus here labels, not a news benchmark.
  * Throughput: full `categorize()` and topic model alone, single thread, articles/s.
"""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import numpy as np

from services.core.models import Article, Dateline, Extraction, IngestMeta

from . import corpora
from .features import document_tokens, feature_counts
from .pipeline import Categorizer

AG_CLASSES = ["World", "Sports", "Business", "Sci/Tech"]


def _ag_class_of(code: str) -> str:
    for name, codes in corpora.AG_TO_IPTC.items():
        if code in codes:
            return name
    return "other"


def _macro_f1(gold: list[str], pred: list[str], labels: list[str]) -> float:
    f1s = []
    for lab in labels:
        tp = sum(1 for g, p in zip(gold, pred, strict=True) if g == lab and p == lab)
        fp = sum(1 for g, p in zip(gold, pred, strict=True) if g != lab and p == lab)
        fn = sum(1 for g, p in zip(gold, pred, strict=True) if g == lab and p != lab)
        prec = tp / (tp + fp) if tp + fp else 0.0
        rec = tp / (tp + fn) if tp + fn else 0.0
        f1s.append(2 * prec * rec / (prec + rec) if prec + rec else 0.0)
    return float(np.mean(f1s)) if f1s else 0.0


def _ece(conf: list[float], correct: list[bool], bins: int = 10) -> float:
    c = np.asarray(conf)
    k = np.asarray(correct, dtype=float)
    total = 0.0
    for lo in np.linspace(0, 1, bins, endpoint=False):
        m = (c >= lo) & (c < lo + 1 / bins)
        if m.any():
            total += m.sum() / len(c) * abs(c[m].mean() - k[m].mean())
    return float(total)


def _article(i: int, title: str, body: str, dateline: str = "") -> Article:
    return Article(
        id=f"eval-{i}",
        ingest=IngestMeta(id=f"eval-{i}", received_at=""),
        title=title,
        body=body,
        language="en",
        dateline=Dateline(text=dateline) if dateline else None,
        extraction=Extraction(format="text"),
    )


def _confusion(gold: list[str], pred: list[str], rows: list[str], cols: list[str]) -> dict:
    table = {r: dict.fromkeys(cols, 0) for r in rows}
    for g, p in zip(gold, pred, strict=True):
        table[g][p if p in cols else "other"] += 1
    return table


def evaluate(corpus_dir: Path, categorizer: Categorizer | None = None, limit: int | None = None) -> dict:
    """Evaluate on the held-out shares of the corpora in `corpus_dir`; returns a report dict.

    `limit` caps the documents taken from each corpus (quick runs: `--limit`).
    """
    corpus_dir = Path(corpus_dir)
    cat = categorizer or Categorizer.load()
    tax = cat.taxonomy
    report: dict = {"model": cat.model.meta.get("recipe"), "corpus_dir": str(corpus_dir)}

    # -- AG News held-out share -------------------------------------------------------
    ag = [r for r in corpora.read_ag(corpus_dir) if corpora.ag_share(r.title, r.description) == "test"][
        :limit
    ]
    arts = [_article(i, r.title, r.description) for i, r in enumerate(ag)]
    gold, pred, conf, codes = [], [], [], []
    t0, c0 = time.perf_counter(), time.process_time()
    results = [cat.categorize(a) for a in arts]
    full_secs, full_cpu = time.perf_counter() - t0, time.process_time() - c0
    for r, res in zip(ag, results, strict=True):
        first = (res.topics or [])[0]
        gold.append(r.label)
        pred.append(_ag_class_of(first.code))
        codes.append(first.code)
    # Calibration of the mapped decision: the probability of the predicted AG class
    # (politics + conflict for World), from the same distribution categorize() ranks.
    for a, p in zip(arts, pred, strict=True):
        dist, _ = cat.topic_distribution(a)
        conf.append(sum(dist.get(c, 0.0) for c in corpora.AG_TO_IPTC.get(p, ())))
    correct = [g == p for g, p in zip(gold, pred, strict=True)]
    per_class = {}
    for lab in AG_CLASSES:
        idx = [i for i, g in enumerate(gold) if g == lab]
        per_class[lab] = round(sum(correct[i] for i in idx) / max(1, len(idx)), 4)
    report["ag_news"] = {
        "split": "sha1(title+'\\n'+description) mod 10 >= 7: held out (30 %); < 7 was used for training",
        "n": len(ag),
        "accuracy": round(sum(correct) / max(1, len(ag)), 4),
        "macro_f1": round(_macro_f1(gold, pred, AG_CLASSES), 4),
        "recall_per_class": per_class,
        "ece": round(_ece(conf, correct), 4),
        "ece_note": "10-bin ECE of the predicted AG class's probability",
        "confusion": _confusion(gold, pred, AG_CLASSES, [*AG_CLASSES, "other"]),
        "predicted_iptc": dict(Counter(tax.label(c) for c in codes).most_common()),
    }

    # -- throughput ---------------------------------------------------------------------
    c0 = time.process_time()
    for a in arts:
        cat.topic_distribution(a, feature_counts(document_tokens(a.title, a.body)))
    model_cpu = time.process_time() - c0

    # -- Reuters-21578 Lewis TEST -------------------------------------------------------
    docs = [d for d in corpora.iter_reuters(corpus_dir) if d.split == "TEST" and d.topics]
    if limit is not None:
        docs = docs[:limit]
    r_ok = 0
    sub_emitted = sub_right = 0
    c_tp = c_fp = c_fn = 0
    r_codes: Counter[str] = Counter()
    r_articles = [_article(i, d.title.title(), d.body, d.dateline) for i, d in enumerate(docs)]
    c0 = time.process_time()
    r_results = [cat.categorize(a) for a in r_articles]
    r_cpu = time.process_time() - c0
    for d, res in zip(docs, r_results, strict=True):
        topics = res.topics or []
        primary = topics[0].code
        r_codes[tax.label(primary)] += 1
        r_ok += primary == corpora.ECONOMY
        want: set[str] = set()
        for name in d.topics:
            want |= corpora.REUTERS_LEVEL2.get(name, frozenset())
        for topic in topics:
            if topic.level == 2 and tax.ancestor(topic.code, 1) == corpora.ECONOMY and want:
                sub_emitted += 1
                sub_right += topic.code in want
        gold_cc = {
            corpora.REUTERS_PLACE_ALIASES.get(p) or cat.gazetteer.country_of(p.replace("-", " "))
            for p in d.places
        }
        gold_cc.discard(None)
        got = set(res.countries or [])
        c_tp += len(got & gold_cc)
        c_fp += len(got - gold_cc)
        c_fn += len(gold_cc - got)
    report["reuters21578"] = {
        "split": "Lewis TEST documents with at least one topic (TRAIN was used for training)",
        "n": len(docs),
        "accuracy": round(r_ok / max(1, len(docs)), 4),
        "macro_f1": None,
        "note": "all Reuters topics are economic: accuracy = primary is economy, "
        "business and finance; macro-F1 is undefined for one class",
        "predicted_iptc": dict(r_codes.most_common()),
        "subtopic_consistency": round(sub_right / sub_emitted, 4) if sub_emitted else None,
        "subtopics_emitted": sub_emitted,
        "country_precision": round(c_tp / max(1, c_tp + c_fp), 4),
        "country_recall": round(c_tp / max(1, c_tp + c_fn), 4),
    }

    # -- IPTC held-out concepts (coverage of all 17) -------------------------------------
    held = [
        (code, text, top)
        for code, text, top in corpora.iptc_documents(tax)
        if corpora.iptc_share(code) == "test"
    ]
    i_gold, i_pred = [], []
    for i, (_code, text, top) in enumerate(held):
        dist, _ = cat.topic_distribution(_article(i, "", text))
        i_gold.append(top)
        i_pred.append(max(dist, key=dist.__getitem__))
    tops = sorted(set(i_gold))
    report["iptc_heldout"] = {
        "split": "sha1(code) mod 5 == 0 (20 % of live concepts), name + definition as text",
        "n": len(held),
        "accuracy": round(sum(g == p for g, p in zip(i_gold, i_pred, strict=True)) / max(1, len(held)), 4),
        "macro_f1": round(_macro_f1(i_gold, i_pred, tops), 4),
        "topics_covered": len(tops),
        "recall_per_topic": {
            tax.label(t): round(
                sum(1 for g, p in zip(i_gold, i_pred, strict=True) if g == t and p == t) / i_gold.count(t), 3
            )
            for t in tops
        },
    }

    n_ag = len(arts)
    n_all = n_ag + len(docs)

    def rate(n: int, secs: float) -> float:
        return round(n / secs, 1) if secs > 0 else float("inf")

    report["throughput"] = {
        "note": "one thread; per CPU-second of this process (process_time), so other load "
        "on the machine matters less; wall-clock rate for AG given too",
        "ag_full_categorize_articles_per_s": rate(n_ag, full_cpu),
        "ag_full_categorize_articles_per_wall_s": rate(n_ag, full_secs),
        "ag_topic_model_only_articles_per_s": rate(n_ag, model_cpu),
        "reuters_full_categorize_articles_per_s": rate(len(docs), r_cpu) if docs else None,
        "mean_words_ag": round(sum(len(a.body.split()) for a in arts) / max(1, n_ag), 1),
        "mean_words_reuters": round(sum(len(d.body.split()) for d in docs) / max(1, len(docs)), 1),
        "overall_full_categorize_articles_per_s": rate(n_all, full_cpu + r_cpu),
    }
    return report


def format_report(report: dict) -> str:
    """Human-readable text of an `evaluate` report."""
    lines = ["categorizer evaluation (held-out data only)", ""]
    ag = report["ag_news"]
    lines += [
        f"AG News held-out  n={ag['n']}  accuracy={ag['accuracy']:.4f}  "
        f"macro-F1={ag['macro_f1']:.4f}  ECE={ag['ece']:.4f}",
        f"  split: {ag['split']}",
        "  recall: " + ", ".join(f"{k} {v:.3f}" for k, v in ag["recall_per_class"].items()),
        "  confusion (rows gold, cols predicted; other = any other IPTC topic):",
    ]
    cols = [*AG_CLASSES, "other"]
    lines.append("    " + "gold\\pred".ljust(10) + "".join(c.rjust(10) for c in cols))
    for g, row in ag["confusion"].items():
        lines.append("    " + g.ljust(10) + "".join(str(row[c]).rjust(10) for c in cols))
    lines.append("  predicted IPTC: " + ", ".join(f"{k} {v}" for k, v in ag["predicted_iptc"].items()))
    r = report["reuters21578"]
    lines += [
        "",
        f"Reuters-21578 Lewis TEST  n={r['n']}  accuracy={r['accuracy']:.4f}  (macro-F1 n/a: one IPTC class)",
        "  predicted IPTC: " + ", ".join(f"{k} {v}" for k, v in r["predicted_iptc"].items()),
        f"  level-2 subtopics consistent with the Reuters topic: {r['subtopic_consistency']}"
        f"  (emitted {r['subtopics_emitted']}; see corpora.REUTERS_LEVEL2)",
        f"  countries vs Reuters places: precision={r['country_precision']:.4f}  "
        f"recall={r['country_recall']:.4f}",
    ]
    ip = report["iptc_heldout"]
    lines += [
        "",
        f"IPTC held-out concepts  n={ip['n']}  accuracy={ip['accuracy']:.4f}  "
        f"macro-F1={ip['macro_f1']:.4f}  topics covered={ip['topics_covered']}/17",
        "  recall: " + ", ".join(f"{k} {v:.2f}" for k, v in ip["recall_per_topic"].items()),
    ]
    tp = report["throughput"]
    lines += [
        "",
        "throughput (one thread, categorize() only, no I/O; per CPU-second):",
        f"  AG News ({tp['mean_words_ag']} words/article): "
        f"{tp['ag_full_categorize_articles_per_s']:.0f} articles/s full, "
        f"{tp['ag_topic_model_only_articles_per_s']:.0f} articles/s topic model only "
        f"(wall clock, full: {tp['ag_full_categorize_articles_per_wall_s']:.0f}/s)",
        f"  Reuters ({tp['mean_words_reuters']} words/article): "
        f"{tp['reuters_full_categorize_articles_per_s']} articles/s full",
    ]
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover
    import sys

    print(format_report(evaluate(Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/corpora"))))
