"""WARC archives (Common Crawl's CC-NEWS and any other crawler's) -> ingest payloads.

Only `response` records whose HTTP payload is HTML carry an article; requests,
metadata, redirects and non-HTML responses are passed over. The record's own facts
travel with the page: WARC-Target-URI becomes the url, WARC-Date the fetched_at, and
the record id, HTTP status and content type go to `fetch`, so an article on news.raw
can be traced back to the exact record of the exact archive file.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from warcio.archiveiterator import ArchiveIterator

from services.core.clock import parse_utc, utc_iso
from services.ingest.decode import decode_page, media_type

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})


def _rfc3339(warc_date: str | None) -> str | None:
    if not warc_date:
        return None
    try:
        return utc_iso(parse_utc(warc_date))
    except ValueError:
        return warc_date


def warc_payload(
    *,
    target_uri: str | None,
    warc_date: str | None,
    record_id: str | None,
    status: str | None,
    content_type: str | None,
    body: bytes,
    file_name: str,
) -> dict[str, Any] | None:
    """The API payload for one response record, or None when it holds no HTML page."""
    if media_type(content_type) not in HTML_TYPES or not (status or "").startswith("2") or not body.strip():
        return None
    fetch = {
        "warc_file": file_name,
        "warc_record_id": record_id,
        "status": status,
        "content_type": content_type,
    }
    return {
        "content": decode_page(body, content_type),
        "format": "html",
        "url": target_uri,
        "fetched_at": _rfc3339(warc_date),
        "fetch": {key: value for key, value in fetch.items() if value},
    }


def iter_warc(path: Path) -> Iterator[tuple[str, dict[str, Any], int]]:
    """(record id, payload, bytes of the file read so far) per HTML response record."""
    with path.open("rb") as raw:
        for record in ArchiveIterator(raw):  # .warc and per-record gzipped .warc.gz alike
            if record.rec_type != "response" or record.http_headers is None:
                continue
            headers = record.rec_headers
            http = record.http_headers
            content_type = http.get_header("Content-Type")
            if media_type(content_type) not in HTML_TYPES:
                continue
            payload = warc_payload(
                target_uri=headers.get_header("WARC-Target-URI"),
                warc_date=headers.get_header("WARC-Date"),
                record_id=headers.get_header("WARC-Record-ID"),
                status=http.get_statuscode(),
                content_type=content_type,
                body=record.content_stream().read(),
                file_name=path.name,
            )
            if payload is not None:
                yield payload["fetch"].get("warc_record_id", "?"), payload, raw.tell()
