"""Benchmark inputs built from the public corpora in ../shared (never copied into the repo)."""

from __future__ import annotations

import gzip
import itertools
import json
import re
from collections.abc import Iterator
from functools import partial
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


def _append(match: re.Match[str], text: str) -> str:
    """re.sub replacement: the matched tag followed by `text`."""
    return match.group(0) + text


MARK_EVERY = 6  # words; the deduper's shingles are 4 words, so most of them change


def marker(n: int) -> str:
    """A letters-only word unique to copy `n` (tokenizers keep it as one word)."""
    letters = ""
    while True:
        n, digit = divmod(n, 26)
        letters += chr(ord("a") + digit)
        if n == 0:
            return f"zq{letters}"


def spread(text: str, word: str, every: int = MARK_EVERY) -> str:
    """`word` after every `every`-th word of `text`.

    A second pass over the corpus would otherwise give near duplicates (the deduper
    compares 4-word shingles, and a tag in the headline changes too few of them): one
    marker every 6 words leaves about 30% of the shingles shared, under the 0.75 Jaccard
    of a near duplicate and the 0.5 of the same story.
    """
    words = text.split(" ")
    return " ".join(w if (i + 1) % every else f"{w} {word}" for i, w in enumerate(words))


def _spread_paragraphs(html: str, word: str) -> str:
    """spread() over the text inside every <p>, leaving tags and attributes alone."""

    def paragraph(match: re.Match[str]) -> str:
        inner = re.sub(r"(^|>)([^<]+)", lambda m: m.group(1) + spread(m.group(2), word), match.group(2))
        return match.group(1) + inner + match.group(3)

    return re.sub(r"(<p(?:\s[^>]*)?>)(.*?)(</p\s*>)", paragraph, html, flags=re.I | re.S)


def workload(
    name: str, corpora: Path, count: int, salt: str, own_source: bool = False, start: int = 0
) -> list[dict[str, str]]:
    """Inputs `start` .. `start + count` of the corpus cycled; `salt` makes each a distinct article.

    Cycling would otherwise make every later copy an exact duplicate (or, for pages with
    a canonical URL, an update of one article), which measures the deduper's short path
    instead of the whole pipeline. Text copies get a distinct headline; HTML copies a
    distinct canonical URL and a marker paragraph. From the second pass over the corpus
    on, a copy also gets a marker word spread through its text (see spread()), or it
    would still be a near duplicate of the first pass. `start` lets the latency runs
    continue where the saturation run stopped, so their articles are not near copies
    of those. `own_source` gives every copy its own source name, so it has a latest view
    of its own (`source:bench ...`) in which it is visible at once whatever its
    publication date (corpus pages are years old and would never reach the newest-50
    `all` view).
    """
    source = reuters_text_dumps(corpora) if name == "text" else fundus_pages(corpora)
    base = list(itertools.islice(source, start + count))
    if not base:
        raise SystemExit(f"no {name} inputs under {corpora}")
    out = []
    for n in range(start, start + count):
        doc, cycle, tag = base[n % len(base)], n // len(base), f"{salt}-{n}"
        if doc["format"] == "text":
            title, _, rest = doc["content"].partition("\n")
            rest = spread(rest, marker(n)) if cycle else rest
            content = f"{title} ({tag})\n{rest}\n\nBenchmark copy {tag}."
        else:
            canonical = f'<link rel="canonical" href="https://bench.example/{tag}">'
            content = re.sub(r"<link[^>]+rel=.canonical.[^>]*>", "", doc["content"], flags=re.I)
            content = re.sub(r"<head[^>]*>", partial(_append, text=canonical), content, count=1, flags=re.I)
            # every paragraph gets the tag: wherever the article body is, it differs per copy
            content = re.sub(r"<p(?:\s[^>]*)?>", partial(_append, text=f"[{tag}] "), content, flags=re.I)
            content = _spread_paragraphs(content, marker(n)) if cycle else content
        item = {"content": content, "format": doc["format"]}
        if own_source:
            item["source"] = f"bench {tag}"
        out.append(item)
    return out
