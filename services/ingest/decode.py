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


# Text codecs Python registers that are no charset a document is written in: IDNA and
# punycode encode host names (and raise on most bytes, whatever the error handler),
# `undefined` always raises, the escape codecs read Python string literals.
_NOT_CHARSETS = frozenset({"idna", "punycode", "undefined", "unicode-escape", "raw-unicode-escape"})


def text_codec(name: str | None) -> str | None:
    """Python's codec for a charset label, None if there is none.

    Why not just codecs.lookup: the label comes from a client or a web page, and Python's
    registry also holds bytes-to-bytes codecs (base64, zlib, rot13, ...) and a few text
    codecs that are no charset (idna, punycode); decoding with those raises or makes no
    sense, so they count as unknown labels.
    """
    if not name:
        return None
    try:
        info = codecs.lookup(name)
    except (LookupError, ValueError):  # ValueError: a NUL in the label
        return None
    if not info._is_text_encoding or info.name in _NOT_CHARSETS:
        return None
    return info.name


def decode_page(body: bytes, content_type: str | None = None) -> str:
    """The page as text: BOM, else the header's charset, else the <meta> one, else UTF-8."""
    for bom, name in _BOMS:
        if body.startswith(bom):
            return body[len(bom) :].decode(name, "replace")
    encoding = text_codec(charset_of(content_type))
    if encoding is None:
        match = _META.search(body[:4096])
        encoding = text_codec(match.group(1).decode("ascii")) if match else None
    try:
        return body.decode(encoding or "utf-8", "replace")
    except (UnicodeError, LookupError):  # a charset codec that raises even with "replace"
        return body.decode("utf-8", "replace")
