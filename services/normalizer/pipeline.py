"""normalize(): one raw article in, one normalized Article out.

The format extractors (html, textdump, feed, jsoninput) only split their input into
`Parts`; everything shared happens here once: size and garbage guards, mojibake repair,
dateline, source, language, id, word count, and the warnings list. The only exceptions
that leave this module are NormalizerError subclasses, so the streaming app can send
exactly those to the DLQ with their `reason`, and treat anything else as a bug.
"""

from __future__ import annotations

import logging
import re
from itertools import chain
from operator import itemgetter
from urllib.parse import urlsplit

from services.core.models import (
    Article,
    Extraction,
    Links,
    Media,
    RawArticle,
    ResolvedFormat,
    Source,
)

from .datelines import find_dateline
from .dates import parse_date
from .detect import detect_format, parse_json
from .exceptions import EmptyInput, NormalizerError, NotAnArticle, UndecodableInput
from .feed import parse_feed
from .html import extract_html, paragraphs_from_fragment
from .ids import article_id
from .jsoninput import html_of, parse_fields
from .language import detect_language
from .mojibake import fix_mojibake, garbage_ratio, looks_mojibaked
from .parts import Parts
from .textdump import parse_text

__all__ = ["DEFAULT_MAX_CHARS", "count_words", "normalize", "warm_up"]

log = logging.getLogger(__name__)

DEFAULT_MAX_CHARS = 5_000_000
MAX_GARBAGE_RATIO = 0.05
_CJK = re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
_CJK_LEADS = bytes(range(0xE3, 0xEE))  # UTF-8 lead bytes of U+3000..U+DFFF
# a whitespace token without any letter or digit ("—", "|"): not a word. punct_tokens
# counts these from the token list; the regex stays as the definition the tests check.
_PUNCT_TOKEN = re.compile(r"\s[^\w\s]+(?=\s)")
_WORD_CHAR = re.compile(r"\w")
_NON_WORD_CHAR = re.compile(r"\W")


def may_have_cjk(text: str) -> bool:
    """False when `text` certainly has no _CJK character; a C-speed pre-check for it.

    Every _CJK range lies in U+3040..U+D7AF, whose UTF-8 lead bytes are E3..ED, and a lead
    byte never occurs inside another character's encoding. Encoding and deleting those
    bytes is ~3x faster than the regex scan (~4 vs ~12 us on a 3 kB body); ASCII text
    (a flag check) has none at all."""
    if text.isascii():
        return False
    data = text.encode("utf-8", "surrogatepass")
    return len(data.translate(None, _CJK_LEADS)) != len(data)


def count_words(text: str, tokens: list[str] | None = None) -> int:
    """Whitespace tokens holding a letter or digit, plus one per CJK character (those
    scripts do not separate words). `tokens` is text.split() when the caller has it
    already (the pipeline splits every paragraph anyway)."""
    cjk = len(_CJK.findall(text)) if may_have_cjk(text) else 0
    if cjk:
        text = _CJK.sub(" ", text)
        tokens = None  # the CJK characters were tokens' insides: split again
    if tokens is None:
        tokens = text.split()
    return cjk + len(tokens) - punct_tokens(tokens)


def punct_tokens(tokens: list[str]) -> int:
    """How many of the (non-empty, whitespace-free) tokens have no word character: what
    _PUNCT_TOKEN counts in the text they were split from.

    Such a token starts with a non-word character, so only tokens whose first character
    is one are searched: their first characters, joined in C, are one short string to
    scan, instead of a regex match tried at every space of the text (~8x fewer steps)."""
    firsts = "".join(map(itemgetter(0), tokens))
    return sum(_WORD_CHAR.search(tokens[m.start()]) is None for m in _NON_WORD_CHAR.finditer(firsts))


def warm_up() -> None:
    """Load the lazy tables (language model, city and country tables) and the date and
    HTML fallbacks (dateparser, htmldate, trafilatura and its justext stoplists: ~1.5 s
    together) now rather than on the first article that needs them: long-running apps
    call this at start-up."""
    import dateparser
    import htmldate  # noqa: F401
    from trafilatura.external import jt_stoplist_init

    from .datelines import country_code, place_country

    detect_language("warm up the language model with a sentence", None)
    place_country("London")
    country_code("France")
    jt_stoplist_init()
    dateparser.parse("3 March 2021")


def _guard(raw: RawArticle, max_chars: int) -> tuple[str, list[str]]:
    content = raw.content
    warnings: list[str] = []
    if not content or content.isspace():  # not `not content.strip()`: no copy of a whole page
        raise EmptyInput("content is empty")
    if len(content) > max_chars:
        warnings.append(f"content truncated from {len(content)} to {max_chars} characters")
        content = content[:max_chars]
    ratio = garbage_ratio(content)
    if ratio > MAX_GARBAGE_RATIO:
        raise UndecodableInput(f"content looks binary: {ratio:.0%} control or replacement characters")
    if "\x00" in content or "\ufffd" in content:
        content = content.replace("\x00", "")
        if "\ufffd" in content:
            warnings.append("content has undecodable bytes (U+FFFD)")
    return content, warnings


def _extract(content: str, fmt: ResolvedFormat, raw: RawArticle) -> Parts:
    hints = raw.hints or {}
    if fmt == "html":
        return extract_html(content, url=raw.url)
    if fmt == "feed":
        return parse_feed(content)
    if fmt == "json":
        value = parse_json(content)
        warnings = []
        if isinstance(value, list):
            items = [v for v in value if isinstance(v, dict)]
            if len(value) > 1:
                warnings.append(f"JSON array of {len(value)} items; only the first was used")
            value = items[0] if items else None
        if not isinstance(value, dict):
            parts = parse_text(content, title_hint=hints.get("title"))
            parts.warn("declared JSON is not a JSON object; read as text")
            return parts
        page = html_of(value)
        if page is not None:
            url = value.get("url") if isinstance(value.get("url"), str) else raw.url
            parts = extract_html(page, url=url)
        else:
            parts = parse_fields(value)
        parts.format = "json"
        parts.warnings[:0] = warnings
        return parts
    return parse_text(content, title_hint=hints.get("title"))


def _fix_text(parts: Parts) -> None:
    """ftfy on every text field, only when the cheap signature check fires."""
    fields = [parts.title or "", parts.subtitle or "", *parts.paragraphs[:3]]
    if not any(looks_mojibaked(f) for f in fields) and not any(
        looks_mojibaked(p) for p in parts.paragraphs[3:]
    ):
        return
    fixed_any = False

    def fix(value: str | None) -> str | None:
        nonlocal fixed_any
        if value is None:
            return None
        out, changed = fix_mojibake(value)
        fixed_any |= changed
        return out

    parts.title = fix(parts.title)
    parts.subtitle = fix(parts.subtitle)
    parts.paragraphs = [fix(p) or "" for p in parts.paragraphs]
    parts.captions = [fix(c) or "" for c in parts.captions]
    parts.authors = [fix(a) or "" for a in parts.authors]
    if fixed_any:
        parts.warn("mojibake repaired")


def _domain(url: str | None) -> str | None:
    if not url:
        return None
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return None
    return host.removeprefix("www.") if host else None


def _fallback_text(content: str, fmt: ResolvedFormat) -> Parts:
    """Last resort when an extractor failed: the visible text, read as a dump."""
    text = content
    if fmt in ("html", "feed"):
        text = "\n\n".join(paragraphs_from_fragment(content[:2_000_000]))
    return parse_text(text)


def normalize(raw: RawArticle, *, max_chars: int = DEFAULT_MAX_CHARS) -> Article:
    """Normalize one raw article; raises only NormalizerError subclasses."""
    content, warnings = _guard(raw, max_chars)
    fmt = detect_format(content, raw.format)
    try:
        parts = _extract(content, fmt, raw)
    except NormalizerError:
        raise
    except Exception as exc:  # a bug or pathological input in an extractor: degrade
        log.warning("extractor %s failed: %r", fmt, exc)
        try:
            parts = _fallback_text(content, fmt)
        except Exception as exc2:
            raise NotAnArticle(f"{fmt} extraction failed: {exc2!r}", reason="extraction_failed") from exc2
        parts.format = fmt
        parts.warn(f"{fmt} extractor failed ({type(exc).__name__}); text fallback used")
    try:
        return _assemble(raw, parts, fmt, warnings)
    except NormalizerError:
        raise
    except Exception as exc:
        raise NotAnArticle(f"assembly failed: {exc!r}", reason="extraction_failed") from exc


def _assemble(raw: RawArticle, parts: Parts, fmt: ResolvedFormat, warnings: list[str]) -> Article:
    hints = raw.hints or {}
    _fix_text(parts)
    words = [p.split() for p in parts.paragraphs]
    paragraphs = [" ".join(w) for w in words if w]
    body = "\n\n".join(paragraphs)
    title = " ".join(parts.title.split()) if parts.title else None
    if not title and hints.get("title"):
        title = hints["title"]
    if not body and not title:
        raise NotAnArticle("no article text found")
    for w in parts.warnings:
        if w not in warnings:
            warnings.append(w)
    if not title:
        warnings.append("no title found")
    if not body:
        warnings.append("no body text found")

    published = parts.published
    if published is None and hints.get("published_at"):
        published = parse_date(hints["published_at"])
    if published is None:
        warnings.append("no publication date found")
    else:
        if not published.has_time:
            warnings.append("publication date has no time of day")
        elif published.offset is None:
            warnings.append("publication time has no timezone; taken as UTC")

    dateline = parts.dateline
    agency = parts.agency
    if dateline is None and paragraphs:
        found = find_dateline(paragraphs[0])
        if found is not None:
            dateline, agency = found.dateline, agency or found.agency

    url = parts.url or raw.url
    canonical = parts.canonical_url
    source_name = raw.source or parts.site_name or agency or hints.get("source")
    domain = _domain(canonical) or _domain(url)
    language = detect_language(body or title or "", parts.language or hints.get("language"))
    if language is None:
        warnings.append("language not detected")
    published_at = published.utc if published else None
    return Article(
        id=article_id(
            url=canonical or url,
            source=source_name or domain,
            title=title,
            published_at=published_at,
            body=body,
        ),
        ingest=raw.ingest,
        url=url,
        canonical_url=canonical,
        source=Source(name=source_name, domain=domain),
        title=title,
        subtitle=parts.subtitle,
        authors=parts.authors,
        published_at=published_at,
        published_offset=published.offset_text if published else None,
        updated_at=parts.updated.utc if parts.updated else None,
        dateline=dateline,
        language=language,
        section=parts.section or hints.get("section"),
        lead=paragraphs[0] if paragraphs else None,
        body=body,
        word_count=count_words(body, list(chain.from_iterable(words))),  # body.split(), `words` joined
        media=Media(photo_count=parts.photo_count, captions=parts.captions, video=parts.video),
        links=Links(related=parts.related, latest=parts.latest),
        extraction=Extraction(format=fmt, extractor=parts.extractor, warnings=warnings),
    )
