"""HTML pages -> article parts: metadata choice, body, and the guarded fallbacks.

Why not trafilatura alone: on real news pages (~330 kB each) trafilatura's
bare_extraction runs ~30 pages/s on one core, a third of the budget. lexbor parses the
same pages at ~800/s, so the main path is our own extractor on that tree (htmlbody.py),
with metadata from JSON-LD / meta tags (htmlmeta.py). Fallbacks, each bounded in size:
JSON-LD articleBody when the DOM text misses most of it (text only in scripts),
trafilatura when the DOM gave (almost) nothing, htmldate when no metadata date exists.
Pages nested deeper than any layout (lexbor's tree builder is quadratic in depth) are
read as text instead of parsed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from html import unescape

from selectolax.lexbor import LexborHTMLParser

from .dates import Stamp, parse_date
from .htmlbody import body_blocks, paragraphs_from_fragment
from .htmlchrome import collect_page_media
from .htmlmeta import Meta, clean_title, contains_collapsed, read_meta, time_elements, ws
from .parts import Parts
from .textdump import parse_text, split_authors

__all__ = ["extract_html", "paragraphs_from_fragment"]
DEPTH_CHECK_TAGS = 20_000  # pages with fewer tags cannot nest deep enough to matter
MAX_HTML_DEPTH = 1_500
MAX_FALLBACK_HTML = 3_000_000  # trafilatura/htmldate fallbacks only on pages of sane size
MAX_FALLBACK_TAGS = 60_000
MIN_BODY_CHARS = 200


def _pick_title(meta: Meta) -> str | None:
    """The publisher's own headline: JSON-LD headline / og:title as given (their
    separators are often part of the headline), minus the site name when it is there;
    then the h1, then <title> without its site suffix."""
    if meta.titles:
        title = meta.titles[0]
        site = (meta.site_name or "").casefold()
        if site and site in title.casefold() and title.casefold() != site:
            return clean_title(title, meta.site_name)
        return title
    if meta.h1:
        return meta.h1[0]
    return clean_title(meta.doc_title, meta.site_name)


_BYLINE_SEL = (
    '[itemprop="author"] [itemprop="name"], a[rel="author"], [class*="author-name"],'
    ' [class*="authorName"], [class*="byline__name"], [class*="byline-name"],'
    ' [class*="author__name"], [data-testid*="author"]'
)
_NOT_NAME = re.compile(r"[@{}()<>|\d]|https?:|\bimage\b|\bgetty\b|\bfoto\b|\bphoto\b", re.I)
_BY = re.compile(r"^(?:by|von|par|por|di|av|door|af)\s+", re.I)


def _clean_author(name: str) -> str | None:
    name = _BY.sub("", ws(name)).strip(" ,;|")
    if not name or len(name) > 60 or _NOT_NAME.search(name) or len(name.split()) > 6:
        return None
    if " " not in name and "-" in name and name.islower():
        name = name.replace("-", " ").title()  # a URL slug: chuck-ross
    return name


def _org_like(name: str, meta: Meta) -> bool:
    folded = name.casefold()
    site = (meta.site_name or "").casefold()
    return (bool(site) and (folded == site or folded in site or site in folded)) or "." in name


def _pick_authors(meta: Meta, tree: LexborHTMLParser) -> list[str]:
    """Metadata authors; the visible byline when metadata has none or only the outlet."""
    authors: list[str] = []
    for raw in meta.authors:
        for part in split_authors(raw):
            name = _clean_author(part)
            if name and name not in authors:
                authors.append(name)
    if authors and not all(_org_like(a, meta) for a in authors):
        return authors[:20]
    byline: list[str] = []
    for node in tree.css(_BYLINE_SEL)[:10]:
        name = _clean_author(node.text(deep=True, separator=" "))
        if name and name not in byline and not _org_like(name, meta):
            byline.append(name)
    return (byline or authors)[:20]


def _pick_date(values: Iterable[str]) -> Stamp | None:
    best: Stamp | None = None
    for value in values:
        stamp = parse_date(value, fallback=False)
        if stamp is None:
            continue
        if stamp.has_time and stamp.offset is not None:
            return stamp
        if best is None or (stamp.has_time and not best.has_time):
            best = stamp
    return best


def _htmldate(html: str) -> Stamp | None:
    """htmldate's heuristics (URL, visible dates, ...) when no metadata dates exist."""
    try:
        from htmldate import find_date

        found = find_date(html[:2_000_000], original_date=True, extensive_search=True)
    except Exception:  # a fallback must not fail the page
        return None
    return parse_date(found, fallback=False) if found else None


def _tokens(text: str) -> set[str]:
    return set(re.findall(r"\w+", text.casefold()))


def _trafilatura_body(html: str) -> list[str]:
    import trafilatura

    try:
        doc = trafilatura.bare_extraction(html, include_comments=False, with_metadata=False)
    except Exception:  # the fallback must never take the page down with it
        return []
    text = getattr(doc, "text", None) if doc is not None else None
    return [ws(line) for line in (text or "").split("\n") if ws(line)]


def extract_html(html: str, *, url: str | None = None, allow_fallback: bool = True) -> Parts:
    """Parse one HTML page into Parts (metadata + body paragraphs + media)."""
    tags = html.count("<")  # counted once: a full scan of a ~300 kB string
    if tags > DEPTH_CHECK_TAGS and _max_depth(html) > MAX_HTML_DEPTH:
        return _as_text(html)
    parts = Parts(format="html", extractor="newsflow-html")
    tree = LexborHTMLParser(html)
    meta = read_meta(tree)
    parts.title = _pick_title(meta)
    parts.authors = _pick_authors(meta, tree)
    parts.published = _pick_date(meta.published) or _pick_date(time_elements(tree.body))
    parts.updated = _pick_date(meta.modified)
    parts.section = meta.section
    parts.site_name = meta.site_name
    parts.canonical_url = (
        meta.canonical if meta.canonical and meta.canonical.startswith(("http://", "https://")) else None
    )
    parts.url = url
    parts.language = meta.language
    parts.video = meta.video
    root = tree.body
    if root is None:
        parts.warn("html without body")
        return parts
    # the page's visible text before chrome removal: is the description a dek it shows?
    visible = root.text(deep=True, separator=" ") if meta.description else ""
    collect_page_media(root, parts, parts.canonical_url or url)
    paragraphs = body_blocks(root, parts.title)
    if (
        meta.description
        and paragraphs
        and meta.description not in paragraphs[:2]
        and contains_collapsed(visible, meta.description)
    ):
        parts.subtitle = meta.description  # a dek the page shows, not just an SEO blurb
    body_chars = sum(len(p) for p in paragraphs)
    article_body = ws(meta.article_body) if meta.article_body else ""
    if len(article_body) > max(MIN_BODY_CHARS, 1.5 * body_chars):
        ref = _tokens(article_body)
        if len(_tokens(" ".join(paragraphs)) & ref) < 0.5 * len(ref):
            raw_paras = [ws(p) for p in re.split(r"\n\s*\n|\n", meta.article_body or "")]
            paragraphs = [p for p in raw_paras if p]
            parts.extractor = "newsflow-html+jsonld"
            parts.warn("body taken from JSON-LD articleBody")
            body_chars = len(article_body)
    small = len(html) <= MAX_FALLBACK_HTML and tags <= MAX_FALLBACK_TAGS
    if body_chars < MIN_BODY_CHARS and allow_fallback and small:
        fallback = _trafilatura_body(html)
        if sum(len(p) for p in fallback) > body_chars:
            paragraphs = fallback
            parts.extractor = "trafilatura"
            parts.warn("body from trafilatura fallback")
    if parts.published is None and allow_fallback and small:
        parts.published = _htmldate(html)
    parts.paragraphs = paragraphs
    return parts


_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9:-]{0,30})[^<>]{0,500}?(/?)>")
_NOT_NESTING = frozenset(
    (
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "source",
        "track",
        "wbr",
        "p",
        "li",
        "dt",
        "dd",
        "tr",
        "td",
        "th",
        "option",
        "optgroup",
        "thead",
        "tbody",
        "tfoot",
        "colgroup",
        "caption",
        "rb",
        "rt",
        "rp",
    )
)
_TITLE_TAG = re.compile(r"<title[^<>]{0,200}>([^<]{1,500})</title>", re.I)
_BLOCK_TAG = re.compile(r"</?(?:p|div|br|li|h[1-6]|section|article|tr|blockquote)\b[^<>]{0,500}>", re.I)
_ANY_TAG = re.compile(r"<[^<>]{0,500}>")


def _max_depth(html: str) -> int:
    """Element nesting depth from a tag scan, stopping early past the limit.

    lexbor's tree builder is quadratic in nesting depth (50k nested divs: ~9 s), so pages
    nested beyond any real layout are read as text instead of parsed."""
    depth = deepest = 0
    for m in _TAG.finditer(html):
        close, name, self_closing = m.groups()
        if self_closing or name.lower() in _NOT_NESTING:
            continue
        if close:
            depth = max(0, depth - 1)
        else:
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > MAX_HTML_DEPTH:
                    break
    return deepest


def _as_text(html: str) -> Parts:
    """A page too deeply nested to parse safely: strip tags, read it as a text dump."""
    title = _TITLE_TAG.search(html)
    text = _ANY_TAG.sub(" ", _BLOCK_TAG.sub("\n\n", html))
    parts = parse_text(unescape(text), title_hint=ws(unescape(title.group(1))) if title else None)
    parts.format = "html"
    parts.extractor = "newsflow-html-as-text"
    parts.warn(f"HTML nested deeper than {MAX_HTML_DEPTH} levels; read as text")
    return parts
