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
