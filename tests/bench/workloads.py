"""Benchmark inputs built from the public corpora in ../shared (never copied into the repo)."""

from __future__ import annotations

import gzip
import itertools
import json
import re
from collections.abc import Iterator
from pathlib import Path

DEFAULT_CORPORA = Path(__file__).resolve().parents[2].parent / "shared" / "corpora"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def reuters_text_dumps(corpora: Path) -> Iterator[dict[str, str]]:
    """Reuters-21578 stories as text dumps: headline, date, dateline + body."""
    for path in sorted((corpora / "reuters21578" / "json-data").glob("*.json")):
        for doc in json.loads(path.read_text()):
            body = (doc.get("body") or "").strip()
            if len(body) < 200:
                continue
            text = (
                f"{doc.get('title', '').strip()}\n\n{doc.get('date', '')}\n\n{doc.get('dateline', '')} {body}"
            )
            yield {"content": text, "format": "text"}


def fundus_pages(corpora: Path) -> Iterator[dict[str, str]]:
    pages = sorted((corpora / "fundus").glob("*/*.html.gz"))
    if not pages:  # no corpus: the shipped e2e fixtures
        pages = sorted((FIXTURES / "e2e" / "fundus").glob("*.html.gz"))
    for page in pages:
        yield {"content": gzip.decompress(page.read_bytes()).decode("utf-8", "replace"), "format": "html"}


def workload(
    name: str, corpora: Path, count: int, salt: str, own_source: bool = False
) -> list[dict[str, str]]:
    """`count` inputs, cycling the corpus; `salt` makes each copy a distinct article.

    Cycling would otherwise make every later copy an exact duplicate (or, for pages with
    a canonical URL, an update of one article), which measures the deduper's short path
    instead of the whole pipeline. Text copies get a distinct headline; HTML copies a
    distinct canonical URL and a marker paragraph. `own_source` gives every copy its own
    source name, so it has a latest view of its own (`source:bench ...`) in which it is
    visible at once whatever its publication date (corpus pages are years old and would
    never reach the newest-50 `all` view).
    """
    source = reuters_text_dumps(corpora) if name == "text" else fundus_pages(corpora)
    base = list(itertools.islice(source, count))
    if not base:
        raise SystemExit(f"no {name} inputs under {corpora}")
    out = []
    for n, doc in zip(range(count), itertools.cycle(base), strict=False):
        tag = f"{salt}-{n}"
        if doc["format"] == "text":
            title, _, rest = doc["content"].partition("\n")
            content = f"{title} ({tag})\n{rest}\n\nBenchmark copy {tag}."
        else:
            canonical = f'<link rel="canonical" href="https://bench.example/{tag}">'
            content = re.sub(r"<link[^>]+rel=.canonical.[^>]*>", "", doc["content"], flags=re.I)
            content = re.sub(
                r"(<head[^>]*>)", lambda m, c=canonical: m.group(1) + c, content, count=1, flags=re.I
            )
            # every paragraph gets the tag: wherever the article body is, it differs per copy
            content = re.sub(r"<p(?:\s[^>]*)?>", lambda m, t=tag: f"{m.group(0)}[{t}] ", content, flags=re.I)
        item = {"content": content, "format": doc["format"]}
        if own_source:
            item["source"] = f"bench {tag}"
        out.append(item)
    return out
