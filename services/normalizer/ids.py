"""Stable article ids: the same article ingested again gets the same id.

With a URL (canonical first), the id is a hash of the URL normalized with courlan (no
tracking parameters, no fragment, lower-case host, no `www.`, http = https, no trailing
slash), so re-crawls and feed/API copies of one page agree. Without a URL it hashes the
source, the normalized title and the publication time, which stay the same when the
same text is ingested again.
"""

from __future__ import annotations

import contextlib
import hashlib
import unicodedata
from urllib.parse import urlsplit, urlunsplit

from courlan import normalize_url

__all__ = ["article_id", "canonical_url"]

ID_HEX = 32


def canonical_url(url: str | None) -> str | None:
    """The identity form of a URL, or None when it is not an http(s) URL."""
    if not url:
        return None
    url = url.strip()
    if not url.lower().startswith(("http://", "https://")) or len(url) > 4096:
        return None
    with contextlib.suppress(Exception):  # courlan raises assorted errors on odd URLs
        url = normalize_url(url, strict=True)
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if not host:
        return None
    host = host.removeprefix("www.")
    if parts.port and parts.port not in (80, 443):
        host = f"{host}:{parts.port}"
    path = parts.path.rstrip("/") or "/"
    return urlunsplit(("https", host, path, parts.query, ""))


def _norm(text: str | None) -> str:
    r"""NFKC, whitespace runs to one space, stripped, case-folded.

    `" ".join(t.split())` is `re.sub(r"\s+", " ", t).strip()`: `\s`, split() and strip()
    all take Python's isspace() as whitespace."""
    return " ".join(unicodedata.normalize("NFKC", text or "").split()).casefold()


def article_id(
    *,
    url: str | None,
    source: str | None,
    title: str | None,
    published_at: str | None,
    body: str = "",
) -> str:
    """32 hex chars of sha256 over the URL identity, else over source|title|published_at.

    `body` is only used when there is neither URL nor title, so an untitled text still
    gets an id that is stable for the same text.
    """
    ident = canonical_url(url)
    if ident:
        key = f"url|{ident}"
    elif title:
        key = f"meta|{_norm(source)}|{_norm(title)}|{published_at or ''}"
    else:
        key = f"text|{_norm(source)}|{_norm(body[:2000])}|{published_at or ''}"
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:ID_HEX]
