"""Fetched bytes -> text: the charset from the header, a BOM or the page's own <meta>.

Shared by the feed fetcher (item pages) and the WARC reader (archived responses), so
a page decodes the same whichever way it arrived. Never fails: undecodable bytes become
U+FFFD and the normalizer's mojibake repair sees the rest.
"""

from __future__ import annotations

import codecs
import re

_META = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))


def charset_of(content_type: str | None) -> str | None:
    """The `charset=` parameter of a Content-Type header value."""
    for part in (content_type or "").split(";")[1:]:
        name, _, value = part.partition("=")
        if name.strip().lower() == "charset" and value.strip():
            return value.strip().strip("\"'")
    return None


def media_type(content_type: str | None) -> str:
    """`text/html; charset=utf-8` -> `text/html` (lower case, "" when absent)."""
    return (content_type or "").split(";")[0].strip().lower()


def _usable(name: str | None) -> str | None:
    if not name:
        return None
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def decode_page(body: bytes, content_type: str | None = None) -> str:
    for bom, name in _BOMS:
        if body.startswith(bom):
            return body[len(bom) :].decode(name, "replace")
    encoding = _usable(charset_of(content_type))
    if encoding is None:
        match = _META.search(body[:4096])
        encoding = _usable(match.group(1).decode("ascii")) if match else None
    return body.decode(encoding or "utf-8", "replace")
