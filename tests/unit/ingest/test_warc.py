"""WARC archives (CC-NEWS shape) -> payloads: HTML responses only, with url, date and record id."""

import gzip
from pathlib import Path

from services.ingest.files import iter_documents
from services.ingest.warc import warc_payload
from tests.support.warc import write_warc

FUNDUS = Path(__file__).parents[2] / "fixtures" / "e2e" / "fundus"


def test_html_responses_become_documents_with_their_archive_facts(tmp_path: Path) -> None:
    page = gzip.decompress((FUNDUS / "de_DW_2024_01_30.html.gz").read_bytes())
    path = write_warc(
        tmp_path / "CC-NEWS-20240502101112-00001.warc.gz",
        [
            {"uri": "https://www.dw.com/a", "body": page, "date": "2024-05-02T10:11:12Z"},
            {"uri": "https://x.example/req", "body": b"", "type": "request"},
            {"uri": "https://x.example/img.png", "body": b"\x89PNG", "content_type": "image/png"},
            {"uri": "https://x.example/moved", "body": b"<html>moved</html>", "status": "301 Moved"},
            {
                "uri": "https://ru.example/b",
                "body": "<html><p>Привет</p></html>".encode("cp1251"),
                "content_type": "text/html; charset=windows-1251",
                "date": "2024-05-02T12:00:00+02:00",
            },
        ],
    )
    docs = list(iter_documents([str(tmp_path)]))
    assert [d.payload["url"] for d in docs] == ["https://www.dw.com/a", "https://ru.example/b"]
    first, second = docs
    assert first.payload["content"] == page.decode("utf-8")
    assert first.payload["format"] == "html"
    assert first.payload["fetched_at"] == "2024-05-02T10:11:12.000Z"
    fetch = first.payload["fetch"]
    assert fetch["warc_file"] == path.name and fetch["status"] == "200"
    assert fetch["warc_record_id"].startswith("<urn:uuid:")
    assert first.origin == f"{path}#{fetch['warc_record_id']}"
    assert second.payload["content"] == "<html><p>Привет</p></html>"
    assert second.payload["fetched_at"] == "2024-05-02T10:00:00.000Z"
    assert 0 < first.done_bytes <= second.done_bytes <= path.stat().st_size


def test_uncompressed_warc_files_are_read_too(tmp_path: Path) -> None:
    write_warc(tmp_path / "plain.warc", [{"uri": "https://a.example/", "body": b"<p>a</p>"}], gzip=False)
    (doc,) = iter_documents([str(tmp_path / "plain.warc")])
    assert doc.payload["content"] == "<p>a</p>" and doc.path.endswith("plain.warc")


def test_record_without_html_is_no_payload() -> None:
    def payload(status: str, content_type: str, body: bytes) -> dict[str, object] | None:
        return warc_payload(
            target_uri="u",
            warc_date=None,
            record_id="r",
            status=status,
            content_type=content_type,
            body=body,
            file_name="f.warc",
        )

    assert payload("200", "application/pdf", b"%PDF") is None
    assert payload("404", "text/html", b"<p>no</p>") is None
    assert payload("200", "text/html", b"  ") is None
    ok = payload("200", "text/html", b"<p>ok</p>")
    assert ok is not None and ok["fetched_at"] is None and "content_type" in ok["fetch"]  # type: ignore[operator]
