"""`newsflow eval ...` and `newsflow train ...`: quality and speed on public corpora.

Each stage owns its evaluation (services/<stage>/evaluate.py); this module only picks
the corpus and prints the stage's report.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import TextIO

DEFAULT_CORPORA = Path(__file__).resolve().parents[3].parent / "shared" / "corpora"

# what -> (module, function, default corpus below DEFAULT_CORPORA)
EVALUATIONS = {
    "extraction": ("services.normalizer.evaluate", "evaluate_extraction", "fundus"),
    "categorizer": ("services.categorizer.evaluate", "evaluate", ""),
    "dedupe": ("services.deduper.evaluate", "evaluate_dedupe", ""),
    "related": ("services.related.evaluate", "evaluate_related", ""),
}


def run_eval(what: str, corpus: Path | None, limit: int | None, out: TextIO) -> int:
    module_name, function, default = EVALUATIONS[what]
    corpus = corpus or (DEFAULT_CORPORA / default)
    if not corpus.exists():
        out.write(f"corpus not found: {corpus} (give --corpus DIR)\n")
        return 2
    module = importlib.import_module(module_name)
    evaluate = getattr(module, function)
    report = evaluate(corpus, limit=limit) if limit is not None else evaluate(corpus)
    out.write(module.format_report(report) + "\n")
    return 0


def run_train(what: str, corpus: Path, target: Path | None, out: TextIO) -> int:
    from services.categorizer import train

    summary = train.train(corpus, target) if target else train.train(corpus)
    out.write(f"{summary}\n")
    return 0
