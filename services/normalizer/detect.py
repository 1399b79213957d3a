"""Which extractor a raw article needs, when ingest said `auto` (or said it wrong).

Cheap looks at the start of the content only: JSON objects (`{url, html}` crawler
records or already-split `{title, body}` fields), RSS/Atom (a feed, or a single
<item>/<entry>), HTML (doctype, <html>, or enough block tags), else plain text.
"""

from __future__ import annotations

import re
from typing import Any

import orjson

from services.core.models import ResolvedFormat

__all__ = ["detect_format", "parse_json"]

_HEAD = 4096
_FEED = re.compile(r"<(?:rss|feed|rdf:RDF|channel|item|entry)[\s>]", re.I)
_HTML = re.compile(r"<!doctype\s+html|<html[\s>]|<head[\s>]|<body[\s>]", re.I)
_BLOCK_TAGS = re.compile(r"</?(?:p|div|article|section|span|br|h[1-6]|a|ul|li|table)\b[^>]{0,200}>", re.I)


def parse_json(content: str) -> Any | None:
    """The decoded JSON value, or None when the content is not JSON."""
    text = content.strip()
    if not text or text[0] not in "{[":
        return None
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return None


def detect_format(content: str, declared: str = "auto") -> ResolvedFormat:
    """The format to parse `content` as; a declared format is trusted unless it is `auto`."""
    if declared in ("html", "text", "feed", "json"):
        return declared  # type: ignore[return-value]
    head = content[:_HEAD].lstrip("\ufeff \t\r\n")
    if head[:1] in "{[" and parse_json(content) is not None:
        return "json"
    if "<" not in head:
        return "text"  # every feed, HTML and tag pattern below needs a `<`: no regex over 4 kB
    looks_xml = head.startswith("<?xml") or _FEED.match(head) is not None
    if looks_xml and _FEED.search(head) and not _HTML.search(head):
        return "feed"
    if _HTML.search(head):
        return "html"
    if head.startswith("<") and len(_BLOCK_TAGS.findall(head)) >= 3:
        return "html"
    if len(_BLOCK_TAGS.findall(head)) >= 8:
        return "html"  # a fragment of markup without <html>
    return "text"
