"""Offline stages over files and JSON lines: the same functions the stream apps call.

Each command writes one JSON line per input, in input order. An input a stage cannot
handle becomes a DLQ record on that line (and a non-zero exit), exactly as the stream
would route it to news.dlq.
"""

from __future__ import annotations

import gzip
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO, cast

import msgspec

from services.core.codec import decode, encode
from services.core.dlq import dlq_record
from services.core.models import Article, InputFormat, RawArticle
from services.ingest.requests import new_ingest

_EXT_FORMAT = {".html": "html", ".htm": "html", ".txt": "text", ".json": "json", ".xml": "feed"}


def read_document(path: str) -> tuple[str, str]:
    """(text, format guess) of one input file, `-` = stdin; gzip is transparent."""
    if path == "-":
        return sys.stdin.read(), "auto"
    p = Path(path)
    data = p.read_bytes()
    suffixes = p.suffixes
    if suffixes and suffixes[-1] == ".gz":
        data = gzip.decompress(data)
        suffixes = suffixes[:-1]
    return data.decode("utf-8", "replace"), _EXT_FORMAT.get(suffixes[-1] if suffixes else "", "auto")


def raw_from_file(path: str, fmt: str | None, url: str | None) -> RawArticle:
    content, guessed = read_document(path)
    return RawArticle(
        ingest=new_ingest(content, "cli"), content=content, format=cast(InputFormat, fmt or guessed), url=url
    )


def read_jsonl(path: str) -> Iterator[bytes]:
    if path == "-":
        yield from (line for line in sys.stdin.buffer if line.strip())
        return
    with Path(path).open("rb") as stream:
        yield from (line for line in stream if line.strip())


def emit(out: TextIO, message: msgspec.Struct) -> None:
    out.write(encode(message).decode() + "\n")


def run_normalize(paths: list[str], fmt: str | None, url: str | None, out: TextIO) -> int:
    from services.normalizer.pipeline import normalize

    failures = 0
    for path in paths:
        raw = raw_from_file(path, fmt, url)
        try:
            emit(out, normalize(raw))
        except Exception as exc:
            failures += 1
            emit(out, dlq_record("normalizer", exc, encode(raw), key=path.encode()))
    return 1 if failures else 0


def _map_articles(path: str, stage: str, fn: Any, out: TextIO) -> int:
    failures = 0
    for line in read_jsonl(path):
        try:
            emit(out, fn(decode(line, Article)))
        except Exception as exc:
            failures += 1
            emit(out, dlq_record(stage, exc, line))
    return 1 if failures else 0


def run_categorize(path: str, out: TextIO) -> int:
    from services.categorizer.pipeline import Categorizer

    categorizer = Categorizer.load()
    return _map_articles(path, "categorizer", categorizer.categorize, out)


def run_dedupe(path: str, out: TextIO) -> int:
    from services.deduper.offline import OfflineDeduper

    deduper = OfflineDeduper()
    return _map_articles(path, "deduper", deduper.dedupe, out)


def run_related(path: str, top: int, out: TextIO) -> int:
    from services.related.scoring import top_related

    articles = [decode(line, Article) for line in read_jsonl(path)]
    for article in articles:
        related = top_related(article, articles, top)
        out.write(
            msgspec.json.encode(
                {
                    "id": article.id,
                    "related": [{"id": r.id, "score": r.score, "reason": r.reason} for r in related],
                }
            ).decode()
            + "\n"
        )
    return 0


def run_process(paths: list[str], fmt: str | None, out: TextIO, views: TextIO | None = None) -> int:
    """normalize + categorize + dedupe in one process: the offline twin of the pipeline.

    With `views`, the articles the deduper lets through (news.articles) also go through
    the sink's and the related worker's handlers (services.sink.offline), and `views`
    gets what news.latest and news.related would keep: one JSON line per view, then one
    per related list.
    """
    from services.categorizer.pipeline import Categorizer
    from services.deduper.offline import OfflineDeduper
    from services.normalizer.pipeline import normalize
    from services.sink.offline import OfflineViews

    categorizer, deduper = Categorizer.load(), OfflineDeduper()
    downstream = OfflineViews() if views is not None else None
    failures = 0
    for path in paths:
        raw = raw_from_file(path, fmt, None)
        stage = "normalizer"
        try:
            article = normalize(raw)
            stage = "categorizer"
            article = categorizer.categorize(article)
            stage = "deduper"
            article = deduper.dedupe(article)
            stage = "sink"
            if downstream is not None and (article.dedupe is None or article.dedupe.status != "duplicate"):
                downstream.add(article.id.encode(), encode(article))
            emit(out, article)
        except Exception as exc:
            failures += 1
            emit(out, dlq_record(stage, exc, encode(raw), key=path.encode()))
    if views is not None and downstream is not None:
        for topic in downstream.published.values():
            views.writelines(value.decode() + "\n" for _, value in sorted(topic.items()))
    return 1 if failures else 0
