"""`newsflow dedupe FILE`: the stream's verdicts for a file of articles, without Kafka.

The file holds normalized/categorized articles (the news.categorized value): a JSON
array, one JSON object, or NDJSON. They are deduplicated in file order against one
`InMemoryStore`, each at its own `ingest.received_at` as `now`, so a replayed day gives
the verdicts the stream would have given (window eviction included).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import msgspec

from services.core.clock import parse_utc
from services.core.models import Article
from services.deduper.decide import dedupe
from services.deduper.exceptions import DeduperError
from services.deduper.index import InMemoryStore
from services.deduper.params import DedupeParams


def read_articles(path: Path) -> list[Article]:
    """Articles from a JSON array / object or NDJSON file (decode errors name the line)."""
    text = path.read_text(encoding="utf-8")
    stripped = text.lstrip()
    try:
        if stripped.startswith("["):
            return msgspec.json.decode(text, type=list[Article])
        if stripped.startswith("{") and "\n{" not in stripped.rstrip():
            return [msgspec.json.decode(text, type=Article)]
    except msgspec.DecodeError as exc:
        raise DeduperError(f"{path}: not articles: {exc}", reason="bad_input") from exc
    articles = []
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip():
            try:
                articles.append(msgspec.json.decode(line, type=Article))
            except msgspec.DecodeError as exc:
                raise DeduperError(f"{path}:{number}: not an article: {exc}", reason="bad_input") from exc
    return articles


def dedupe_articles(
    articles: Iterable[Article],
    *,
    params: DedupeParams | None = None,
    store: InMemoryStore | None = None,
) -> Iterator[Article]:
    """Each article with `dedupe` filled, in order, at its own received time."""
    deduper = OfflineDeduper(params)
    if store is not None:
        deduper.store = store
    for article in articles:
        yield deduper.dedupe(article)


class OfflineDeduper:
    """One in-process deduper for `newsflow dedupe` / `newsflow process`: articles in
    stream order, each at its own received time, against one `InMemoryStore`."""

    def __init__(self, params: DedupeParams | None = None) -> None:
        self.params = params
        self.store = InMemoryStore()

    def dedupe(self, article: Article) -> Article:
        return dedupe(article, self.store, now=_received(article), settings=self.params)


def dedupe_file(path: Path, params: DedupeParams | None = None) -> list[Article]:
    return list(dedupe_articles(read_articles(path), params=params))


def _received(article: Article) -> datetime:
    try:
        return parse_utc(article.ingest.received_at)
    except ValueError:
        return datetime.now(UTC)


def main(argv: list[str] | None = None) -> int:
    """`python -m services.deduper.offline FILE`, the same as `newsflow dedupe FILE`:
    one verdict-filled article per line (NDJSON) on stdout."""
    import sys

    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: newsflow dedupe FILE", file=sys.stderr)
        return 2
    for article in dedupe_file(Path(args[0])):
        sys.stdout.write(msgspec.json.encode(article).decode() + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
