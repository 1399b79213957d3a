"""`newsflow eval extraction`: newsflow vs trafilatura on the fundus corpus, side by side.

Corpus layout (fundus test data): `<country>/<Publisher>.json` maps parser versions
(`V1`, `V1_1`, `V2` ...) to expected fields, `<country>/<Publisher>_<YYYY_MM_DD>.html.gz`
are the pages, `<country>/meta.info` gives each page's URL. A publisher's versions in
version order correspond to its pages in date order (fundus picks the parser version by
crawl date), which is how keys are paired with files.

Metrics, over all pages, for both extractors in the same run on the same decoded text:
* body: token-level F1 (bag of lower-cased word tokens, CJK characters one token each)
  of the article text against the expected summary + section headlines + paragraphs.
  newsflow's article text is subtitle + body (the dek is a separate field in our
  schema; trafilatura puts it in its text when it keeps it).
* title: exact match after whitespace/Unicode (NFKC) normalization.
* date: the publication day in the page's own offset equals the expected one
  (trafilatura returns a local day; newsflow's published_at is moved by its offset).
* authors: set F1 of case-folded names (pages without expected authors count 1 when
  none are returned).
* pages/s: extraction time only (decoding and scoring excluded), single process.
Also text dumps/s for the seed article and for Reuters-21578 bodies wrapped in page
chrome (with the body F1 of those dumps, as a check that the chrome was removed).
"""

from __future__ import annotations

import gzip
import json
import re
import time
import unicodedata
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from services.core.models import IngestMeta, RawArticle

from .exceptions import NormalizerError
from .pipeline import normalize, warm_up

__all__ = ["CorpusPage", "evaluate_extraction", "format_report", "iter_corpus"]

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CORPUS = REPO_ROOT.parent / "shared" / "corpora" / "fundus"  # ../shared from the repo
_TOKEN = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]|[^\W_]+")
_CHARSET = re.compile(rb"<meta[^>]{0,200}charset=[\"']?([\w-]{2,20})", re.I)
_INGEST = IngestMeta(id="eval", received_at="1970-01-01T00:00:00Z", source="eval")


@dataclass(slots=True)
class CorpusPage:
    key: str  # country/Publisher/Version
    path: Path
    url: str | None
    html: str
    title: str
    body: str
    authors: list[str]
    day: str | None  # YYYY-MM-DD in the page's own offset


def _version_key(name: str) -> tuple[int, ...]:
    return tuple(int(x) for x in re.findall(r"\d+", name))


def decode_html(data: bytes) -> str:
    """UTF-8 unless the page declares (and needs) another charset."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        m = _CHARSET.search(data[:4096])
        for enc in ((m.group(1).decode("ascii"),) if m else ()) + ("cp1252",):
            try:
                return data.decode(enc, errors="replace")
            except LookupError:
                continue
        return data.decode("utf-8", errors="replace")


def expected_body(fields: dict[str, Any]) -> str:
    body = fields.get("body") or {}
    out: list[str] = list(body.get("summary") or [])
    for section in body.get("sections") or []:
        out.extend(section.get("headline") or [])
        out.extend(section.get("paragraphs") or [])
    return "\n\n".join(out)


def _local_day(value: str | None) -> str | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).date().isoformat()
    except ValueError:
        return value[:10]


def iter_corpus(corpus: Path, limit: int | None = None) -> Iterator[CorpusPage]:
    """Pages with their expected fields, in a stable order."""
    count = 0
    for country in sorted(p for p in corpus.iterdir() if p.is_dir()):
        info_path = country / "meta.info"
        info = json.loads(info_path.read_text("utf-8")) if info_path.exists() else {}
        for spec in sorted(country.glob("*.json")):
            publisher = spec.stem
            expected = json.loads(spec.read_text("utf-8"))
            pages = sorted(
                p
                for p in country.glob(f"{publisher}_*.html.gz")
                if re.fullmatch(rf"{re.escape(publisher)}_\d{{4}}_\d{{2}}_\d{{2}}\.html\.gz", p.name)
            )
            versions = sorted(expected, key=_version_key)
            for version, page in zip(versions, pages, strict=False):
                fields = expected[version]
                yield CorpusPage(
                    key=f"{country.name}/{publisher}/{version}",
                    path=page,
                    url=(info.get(page.name) or {}).get("url"),
                    html=decode_html(gzip.decompress(page.read_bytes())),
                    title=fields.get("title") or "",
                    body=expected_body(fields),
                    authors=list(fields.get("authors") or []),
                    day=_local_day(fields.get("publishing_date")),
                )
                count += 1
                if limit is not None and count >= limit:
                    return


def tokens(text: str) -> Counter[str]:
    return Counter(_TOKEN.findall(text.casefold()))


def token_f1(predicted: str, expected: str) -> float:
    pred, gold = tokens(predicted), tokens(expected)
    if not pred or not gold:
        return float(not pred and not gold)
    common = sum((pred & gold).values())
    if common == 0:
        return 0.0
    precision, recall = common / sum(pred.values()), common / sum(gold.values())
    return 2 * precision * recall / (precision + recall)


def _norm(text: str | None) -> str:
    return " ".join(unicodedata.normalize("NFKC", text or "").split())


def author_f1(predicted: list[str], expected: list[str]) -> float:
    pred = {_norm(a).casefold() for a in predicted if a.strip()}
    gold = {_norm(a).casefold() for a in expected if a.strip()}
    if not gold or not pred:
        return float(not gold and not pred)
    common = len(pred & gold)
    if not common:
        return 0.0
    p, r = common / len(pred), common / len(gold)
    return 2 * p * r / (p + r)


@dataclass(slots=True)
class Result:
    body: str
    title: str | None
    day: str | None
    authors: list[str]


def run_newsflow(page: CorpusPage) -> Result:
    raw = RawArticle(ingest=_INGEST, content=page.html, format="html", url=page.url)
    try:
        art = normalize(raw)
    except NormalizerError:
        return Result("", None, None, [])
    text = "\n\n".join(x for x in (art.subtitle, art.body) if x)
    day = None
    if art.published_at:
        stamp = datetime.fromisoformat(art.published_at.replace("Z", "+00:00"))
        if art.published_offset:
            zone = datetime.fromisoformat(f"2000-01-01T00:00:00{art.published_offset}").tzinfo
            stamp = stamp.astimezone(zone)
        day = stamp.date().isoformat()
    return Result(text, art.title, day, art.authors)


def run_trafilatura(page: CorpusPage) -> Result:
    import trafilatura

    doc = trafilatura.bare_extraction(page.html, url=page.url, with_metadata=True)
    if doc is None or isinstance(doc, dict):  # dict only with as_dict=True
        return Result("", None, None, [])
    authors = [a.strip() for a in (doc.author or "").split(";") if a.strip()]
    return Result(doc.text or "", doc.title, (doc.date or "")[:10] or None, authors)


def _score(results: list[tuple[CorpusPage, Result]]) -> dict[str, float]:
    n = len(results) or 1
    return {
        "body_f1": sum(token_f1(r.body, p.body) for p, r in results) / n,
        "title_exact": sum(_norm(r.title) == _norm(p.title) for p, r in results) / n,
        "date_day": sum(r.day is not None and r.day == p.day for p, r in results) / n,
        "author_f1": sum(author_f1(r.authors, p.authors) for p, r in results) / n,
    }


def _reuters_dumps(corpus_root: Path, count: int = 500) -> list[tuple[str, str]]:
    """(text dump, expected body) pairs: Reuters-21578 stories inside synthetic chrome."""
    path = corpus_root / "reuters21578" / "json-data" / "reut2-000.json"
    if not path.exists():
        return []
    out: list[tuple[str, str]] = []
    for item in json.loads(path.read_text("utf-8", errors="replace")):
        body = (item.get("body") or "").replace("&#3;", "").strip()
        title = (item.get("title") or "").strip()
        if len(body) < 400 or not title:
            continue
        paras = [" ".join(p.split()) for p in re.split(r"\n\s{2,}", body)]
        paras = [p for p in paras if p and p not in ("Reuter", "REUTER")]
        dateline = (item.get("dateline") or "").strip().rstrip("-").strip()
        when = datetime.strptime(item["date"].split(".")[0], "%d-%b-%Y %H:%M:%S")
        chrome_top = "Home | Markets | Business | World\nSkip to content\n"
        dump = (
            f"{chrome_top}{title.title()}\n\nBy Reuters Staff\n"
            f"{when:%B %d, %Y %I:%M %p} EST\n\nShare on Facebook\nShare on Twitter\n\n"
            f"{dateline} (Reuters) - {paras[0]}\n\n"
            + "\n\n".join(paras[1:])
            + "\n\nSubscribe to our newsletter for the latest news\n\nMost read\n"
            "Oil prices steady after supply data\nMarkets 14:02\n"
            "Dollar slips against the yen\nCurrencies 13:40\n"
            "Wheat futures climb on export demand\nCommodities 12:15\n"
            "All rights reserved. Reuters.\n"
        )
        out.append((dump, "\n\n".join(paras)))
        if len(out) >= count:
            break
    return out


def _dump_speed(dumps: list[str], repeat: int = 1) -> float:
    raws = [RawArticle(ingest=_INGEST, content=d) for d in dumps]
    normalize(raws[0])  # warm caches (language model, city table)
    start = time.process_time()
    for _ in range(repeat):
        for raw in raws:
            normalize(raw)
    elapsed = time.process_time() - start
    return len(raws) * repeat / elapsed if elapsed else float("inf")


def evaluate_extraction(corpus: Path = DEFAULT_CORPUS, limit: int | None = None) -> dict[str, Any]:
    """Score newsflow and trafilatura on the corpus; see the module docstring."""
    corpus = Path(corpus)
    pages = list(iter_corpus(corpus, limit))
    if not pages:
        raise FileNotFoundError(f"no pages found under {corpus}")
    report: dict[str, Any] = {"corpus": str(corpus), "pages": len(pages)}
    per_page: dict[str, dict[str, float]] = {}
    warm_up()
    for name, run in (("newsflow", run_newsflow), ("trafilatura", run_trafilatura)):
        run(pages[0])  # warm-up: imports, models
        results: list[tuple[CorpusPage, Result]] = []
        start = time.process_time()
        for page in pages:
            results.append((page, run(page)))
        elapsed = time.process_time() - start
        scores = _score(results)
        scores["pages_per_s"] = len(pages) / elapsed if elapsed else float("inf")
        report[name] = scores
        for page, result in results:
            per_page.setdefault(page.key, {})[name] = round(token_f1(result.body, page.body), 3)
    report["per_page_body_f1"] = per_page

    seed = REPO_ROOT / "tests" / "fixtures" / "seed-article.txt"
    dumps: dict[str, Any] = {}
    if seed.exists():
        dumps["seed_dumps_per_s"] = _dump_speed([seed.read_text("utf-8")], repeat=500)
    reuters = _reuters_dumps(corpus.parent)
    if reuters:
        dumps["reuters_dumps"] = len(reuters)
        dumps["reuters_dumps_per_s"] = _dump_speed([d for d, _ in reuters], repeat=2)
        f1 = [token_f1(normalize(RawArticle(ingest=_INGEST, content=d)).body, gold) for d, gold in reuters]
        dumps["reuters_body_f1"] = sum(f1) / len(f1)
    report["text_dumps"] = dumps
    return report


def format_report(report: dict[str, Any]) -> str:
    """A small fixed-width table for the terminal."""
    lines = [f"corpus: {report['corpus']}  pages: {report['pages']}", ""]
    lines.append(f"{'metric':<14}{'newsflow':>12}{'trafilatura':>14}")
    nf, tf = report["newsflow"], report["trafilatura"]
    for key in ("body_f1", "title_exact", "date_day", "author_f1", "pages_per_s"):
        fmt = "{:>12.1f}{:>14.1f}" if key == "pages_per_s" else "{:>12.3f}{:>14.3f}"
        lines.append(f"{key:<14}" + fmt.format(nf[key], tf[key]))
    dumps = report.get("text_dumps") or {}
    if dumps:
        lines.append("")
        for key, value in dumps.items():
            lines.append(f"{key:<22}{value:>12.3f}" if isinstance(value, float) else f"{key:<22}{value:>12}")
    return "\n".join(lines)
