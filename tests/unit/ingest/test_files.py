"""Files and folders -> ingest payloads."""

import gzip
from pathlib import Path

import orjson
import pytest

from services.ingest.files import iter_documents


def test_folder_walk_reads_every_supported_kind(tmp_path: Path) -> None:
    (tmp_path / "a.html").write_text("<p>a</p>")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.txt.gz").write_bytes(gzip.compress(b"text b"))
    (tmp_path / "c.json").write_text('{"url": "https://x.example/c", "html": "<p>c</p>"}')
    (tmp_path / "d.jsonl").write_text('{"content": "d1", "format": "text"}\n\n{"url": "u", "html": "h"}\n')
    (tmp_path / "ignored.pdf").write_bytes(b"%PDF")
    docs = list(iter_documents([str(tmp_path)]))
    payloads = {d.origin.replace(str(tmp_path), ""): d.payload for d in docs}
    assert payloads["/a.html"] == {"content": "<p>a</p>", "format": "html"}
    assert payloads["/sub/b.txt.gz"] == {"content": "text b", "format": "text"}
    assert payloads["/c.json"]["format"] == "json"
    assert orjson.loads(payloads["/c.json"]["content"])["html"] == "<p>c</p>"
    assert payloads["/d.jsonl:1"] == {"content": "d1", "format": "text"}
    assert payloads["/d.jsonl:3"]["format"] == "json"
    assert len(docs) == 5


def test_unsupported_file_named_explicitly_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "x.pdf"
    path.write_bytes(b"%PDF")
    with pytest.raises(ValueError, match="unsupported"):
        list(iter_documents([str(path)]))


def test_documents_stream_with_progress_through_their_file(tmp_path: Path) -> None:
    lines = b"".join(orjson.dumps({"content": f"doc {n}", "format": "text"}) + b"\n" for n in range(200))
    (tmp_path / "many.jsonl.gz").write_bytes(gzip.compress(lines))
    (tmp_path / "one.html").write_bytes('<meta charset="windows-1252"><p>caf\xe9</p>'.encode("latin-1"))
    docs = list(iter_documents([str(tmp_path)]))
    jsonl = [d for d in docs if d.path.endswith("many.jsonl.gz")]
    assert [d.payload["content"] for d in jsonl] == [f"doc {n}" for n in range(200)]
    assert jsonl[-1].origin.endswith("many.jsonl.gz:200")
    positions = [d.done_bytes for d in jsonl]
    assert positions == sorted(positions) and positions[-1] <= (tmp_path / "many.jsonl.gz").stat().st_size
    (html,) = [d for d in docs if d.path.endswith("one.html")]
    assert html.payload["content"].endswith("<p>café</p>")  # the page's own charset
    assert html.done_bytes == (tmp_path / "one.html").stat().st_size


def test_check_files_names_the_first_bad_input(tmp_path: Path) -> None:
    from services.ingest.files import check_files

    (tmp_path / "a.txt").write_text("a")
    assert [p.name for p in check_files([str(tmp_path)])] == ["a.txt"]
    with pytest.raises(FileNotFoundError, match=r"missing\.txt"):
        check_files([str(tmp_path / "missing.txt")])
