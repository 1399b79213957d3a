"""Build small WARC files with warcio itself, shaped like Common Crawl's CC-NEWS."""

from __future__ import annotations

import io
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter


def write_warc(path: Path, records: list[dict[str, object]], gzip: bool = True) -> Path:
    """Each record: uri, body (bytes), and optionally type, status, content_type, date."""
    with path.open("wb") as out:
        writer = WARCWriter(out, gzip=gzip)
        writer.write_record(writer.create_warcinfo_record(path.name, {"software": "newsflow tests"}))
        for spec in records:
            kind = str(spec.get("type", "response"))
            body = spec["body"]
            assert isinstance(body, bytes)
            http = None
            if kind == "response":
                http = StatusAndHeaders(
                    str(spec.get("status", "200 OK")),
                    [("Content-Type", str(spec.get("content_type", "text/html; charset=utf-8")))],
                    protocol="HTTP/1.1",
                )
            elif kind == "request":
                http = StatusAndHeaders("GET / HTTP/1.1", [("Host", "example")], is_http_request=True)
            record = writer.create_warc_record(
                str(spec["uri"]),
                kind,
                payload=io.BytesIO(body),
                http_headers=http,
                warc_headers_dict={"WARC-Date": str(spec.get("date", "2024-05-02T10:11:12Z"))},
            )
            writer.write_record(record)
    return path
