"""`newsflow ingest PATH...` against a fake ingest API on loopback: headers, 429 flow control, resume."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import orjson
import pytest

from services.ingest.upload import run_upload
from tests.support.warc import write_warc


@dataclass
class FakeApi:
    """Answers 202, or 429 (Retry-After: 1) to the first `throttle` requests, 400 for content 'bad'."""

    throttle: int = 0
    received: list[tuple[dict[str, str], dict[str, object]]] = field(default_factory=list)
    refused_429: int = 0

    def __post_init__(self) -> None:
        api = self
        lock = threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                body = orjson.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with lock:
                    if api.refused_429 < api.throttle:
                        api.refused_429 += 1
                        status, answer = 429, {"error": "backfill_rate_limited"}
                    elif body.get("content") == "bad":
                        status, answer = 400, {"error": "empty_content"}
                    else:
                        api.received.append((dict(self.headers), body))
                        status, answer = 202, {"id": str(len(api.received))}
                data = orjson.dumps(answer)
                self.send_response(status)
                if status == 429:
                    self.send_header("Retry-After", "1")
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


@pytest.fixture
def api() -> Iterator[FakeApi]:
    api = FakeApi()
    yield api
    api.stop()


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "in"
    root.mkdir()
    (root / "a.html").write_text("<p>a</p>")
    (root / "b.jsonl").write_text(
        '{"content": "b1", "format": "text"}\n{"content": "b2", "format": "text"}\n'
    )
    write_warc(root / "c.warc.gz", [{"uri": "https://c.example/1", "body": b"<p>c</p>"}])
    return root


def test_files_are_sent_with_their_source_and_origin_then_skipped_on_rerun(
    api: FakeApi, folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state = tmp_path / "state"
    assert run_upload([str(folder)], api.url, None, 2, False, resume=True, state_dir=state) == 0
    assert len(api.received) == 4
    assert {h["X-Ingest-Source"] for h, _ in api.received} == {"files"}
    by_content = {body["content"]: body for _, body in api.received}
    assert by_content["<p>a</p>"]["fetch"] == {"origin": str(folder / "a.html")}
    warc = by_content["<p>c</p>"]
    assert warc["url"] == "https://c.example/1" and warc["fetched_at"] == "2024-05-02T10:11:12.000Z"
    assert warc["fetch"]["origin"].startswith(str(folder / "c.warc.gz#"))  # type: ignore[index]
    assert "warc_record_id" in warc["fetch"]  # type: ignore[operator]
    assert "ingested 4 of 4 documents (0 skipped" in capsys.readouterr().err

    (folder / "d.txt").write_text("new one")
    assert run_upload([str(folder)], api.url, None, 2, False, resume=True, state_dir=state) == 0
    assert [body["content"] for _, body in api.received[4:]] == ["new one"]
    assert "ingested 1 of 5 documents (4 skipped as already sent, 0 refused)" in capsys.readouterr().err


def test_backfill_waits_out_429s_instead_of_failing(api: FakeApi, folder: Path, tmp_path: Path) -> None:
    api.throttle = 2
    started = time.monotonic()
    code = run_upload([str(folder)], api.url, None, 1, False, backfill=True, state_dir=tmp_path / "s")
    assert code == 0 and len(api.received) == 4 and api.refused_429 == 2
    assert time.monotonic() - started >= 2.0  # honoured Retry-After: 1, twice
    assert {h["X-Ingest-Source"] for h, _ in api.received} == {"backfill"}


def test_rate_spaces_the_sends(api: FakeApi, folder: Path) -> None:
    started = time.monotonic()
    assert run_upload([str(folder)], api.url, None, 4, False, rate=10.0) == 0
    assert time.monotonic() - started >= 0.3  # 4 docs at 10/s: slots at 0, .1, .2, .3


def test_refused_documents_are_reported_and_not_remembered(
    api: FakeApi, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "bad.txt").write_text("bad")
    state = tmp_path / "state"
    assert run_upload([str(tmp_path / "bad.txt")], api.url, None, 1, False, resume=True, state_dir=state) == 1
    err = capsys.readouterr().err
    assert "refused: " in err and "HTTP 400" in err and "1 refused" in err
    assert not (state / ".newsflow-ingest-state").read_text()


def test_unsupported_input_stops_before_sending(api: FakeApi, tmp_path: Path) -> None:
    (tmp_path / "x.pdf").write_bytes(b"%PDF")
    assert run_upload([str(tmp_path / "x.pdf")], api.url, None, 1, False) == 2
    assert api.received == []
