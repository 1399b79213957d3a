"""JSON inputs: crawler records `{url, html}` and already-split article fields.

Crawlers hand over `{url, html, ...}`: that is an HTML page with a known URL. Other
producers send fields (`title`, `body`/`text`/`content`, `author(s)`, a date ...), under
the names different tools use; the body may be plain text, HTML, or a structured
`{summary, sections: [{headline, paragraphs}]}` (the fundus layout).
"""

from __future__ import annotations

from typing import Any

from .dates import parse_date
from .exceptions import NotAnArticle
from .parts import Parts
from .textdump import split_authors

__all__ = ["html_of", "parse_fields"]

_HTML_KEYS = ("html", "raw_html", "content_html", "page", "page_html")
_TITLE = ("title", "headline", "name")
_BODY = ("body", "text", "content", "article_body", "articleBody", "maintext", "full_text")
_SUBTITLE = ("subtitle", "dek", "description", "summary", "lead", "standfirst", "teaser")
_AUTHORS = ("authors", "author", "byline", "creator", "creators")
_PUBLISHED = (
    "published_at",
    "publishing_date",
    "published",
    "publishedAt",
    "pubDate",
    "datePublished",
    "date_publish",
    "date",
    "created_at",
    "time",
)
_UPDATED = ("updated_at", "modified", "dateModified", "date_modify", "updated")
_URL = ("url", "link", "href")
_SOURCE = ("source", "publisher", "site_name", "site", "source_name", "domain")
_SECTION = ("section", "category", "articleSection")
_LANG = ("language", "lang", "inLanguage")


def _first(obj: dict[str, Any], keys: tuple[str, ...]) -> Any:
    for key in keys:
        value = obj.get(key)
        if value not in (None, "", [], {}):
            return value
    return None


def _str(value: Any) -> str | None:
    if isinstance(value, dict):
        value = value.get("name") or value.get("title")
    if isinstance(value, list):
        value = next((v for v in value if isinstance(v, str)), None)
    return " ".join(value.split()) if isinstance(value, str) and value.strip() else None


def html_of(obj: dict[str, Any]) -> str | None:
    """The HTML page of a crawler record, if it is one."""
    for key in _HTML_KEYS:
        value = obj.get(key)
        if isinstance(value, str) and "<" in value[:2000]:
            return value
    return None


def _authors(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value]
    out: list[str] = []
    for item in items:
        name = _str(item)
        if name:
            out.extend(n for n in split_authors(name) if n not in out)
    return out


def _body(value: Any, parts: Parts) -> list[str]:
    from .html import paragraphs_from_fragment
    from .textdump import parse_text

    if isinstance(value, dict):  # {summary: [...], sections: [{headline, paragraphs}]}
        out: list[str] = []
        summary = value.get("summary") or []
        if summary and not parts.subtitle:
            parts.subtitle = " ".join(str(s) for s in summary)
        for section in value.get("sections") or []:
            if isinstance(section, dict):
                out.extend(str(h) for h in section.get("headline") or [])
                out.extend(str(p) for p in section.get("paragraphs") or [])
        return [" ".join(p.split()) for p in out if p and p.strip()]
    if isinstance(value, list):
        return [" ".join(str(p).split()) for p in value if str(p).strip()]
    if not isinstance(value, str):
        return []
    if "<" in value[:500] and ">" in value[:2000]:
        return paragraphs_from_fragment(value)
    text_parts = parse_text(value, title_hint=parts.title or "\x00")
    parts.related.extend(text_parts.related)
    parts.latest.extend(text_parts.latest)
    return text_parts.paragraphs


def parse_fields(obj: dict[str, Any]) -> Parts:
    """Parts from an already-split article record; NotAnArticle without any text field."""
    parts = Parts(format="json", extractor="newsflow-json")
    parts.title = _str(_first(obj, _TITLE))
    parts.subtitle = _str(_first(obj, _SUBTITLE))
    body = _first(obj, _BODY)
    if body is None and parts.title is None:
        raise NotAnArticle("JSON has neither a title nor a body/text field")
    parts.paragraphs = _body(body, parts) if body is not None else []
    parts.authors = _authors(_first(obj, _AUTHORS))
    published = _first(obj, _PUBLISHED)
    parts.published = parse_date(str(published)) if published is not None else None
    updated = _first(obj, _UPDATED)
    parts.updated = parse_date(str(updated)) if updated is not None else None
    parts.url = _str(_first(obj, _URL))
    parts.canonical_url = _str(obj.get("canonical_url"))
    parts.site_name = _str(_first(obj, _SOURCE))
    parts.section = _str(_first(obj, _SECTION))
    parts.language = _str(_first(obj, _LANG))
    if published is not None and parts.published is None:
        parts.warn(f"unparsed date {str(published)[:40]!r}")
    return parts
