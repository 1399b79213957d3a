"""Files and folders -> ingest API payloads: pure, so the CLI and tests share it.

.html/.htm -> html, .txt -> text, .json -> one crawler JSON document (or an API
payload if it already has `content`), .jsonl -> one per line, .warc -> one per HTML
response record (services/ingest/warc.py); `.gz` on any of them. This is the one place
that reads input files. Documents are yielded one at a time (a 10 GB archive is never
held in memory) with how far into their file the reader is, for progress bars.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from services.ingest.decode import decode_page

FORMATS = {
    ".html": "html",
    ".htm": "html",
    ".txt": "text",
    ".json": "json",
    ".jsonl": "jsonl",
    ".warc": "warc",
}


@dataclass(frozen=True)
class Document:
    origin: str  # path (and line or WARC record) for error reports
    payload: dict[str, Any]
    path: str = ""  # the file it came from
    done_bytes: int = 0  # bytes of that file read so far (approximate inside archives)


def _kind(path: Path) -> tuple[str | None, bool]:
    suffixes = [s.lower() for s in path.suffixes]
    gz = bool(suffixes) and suffixes[-1] == ".gz"
    if gz:
        suffixes = suffixes[:-1]
    return (FORMATS.get(suffixes[-1]) if suffixes else None), gz


def iter_files(paths: list[str]) -> Iterator[Path]:
    for name in paths:
        path = Path(name)
        if path.is_dir():
            yield from (p for p in sorted(path.rglob("*")) if p.is_file() and _kind(p)[0])
        else:
            yield path


def check_files(paths: list[str]) -> list[Path]:
    """Every input file, or ValueError/OSError naming the first one that cannot be read."""
    files = list(iter_files(paths))
    for path in files:
        if _kind(path)[0] is None:
            raise ValueError(f"{path}: unsupported file type (html, htm, txt, json, jsonl, warc, .gz)")
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no such file")
    return files


def _payload(text: str, fmt: str, forced: str | None) -> dict[str, Any]:
    if fmt == "json":
        try:
            obj = orjson.loads(text)
        except orjson.JSONDecodeError:
            obj = None
        if isinstance(obj, dict) and isinstance(obj.get("content"), str):
            return obj
    return {"content": text, "format": forced or fmt}


def _jsonl(path: Path, gz: bool, forced: str | None) -> Iterator[Document]:
    with path.open("rb") as raw:
        stream = gzip.GzipFile(fileobj=raw) if gz else raw
        for number, line in enumerate(stream, start=1):
            if line.strip():
                text = line.rstrip(b"\r\n").decode("utf-8", "replace")
                yield Document(f"{path}:{number}", _payload(text, "json", forced), str(path), raw.tell())


def iter_documents(paths: list[str], forced_format: str | None = None) -> Iterator[Document]:
    for path in iter_files(paths):
        fmt, gz = _kind(path)
        if fmt is None:
            raise ValueError(f"{path}: unsupported file type (html, htm, txt, json, jsonl, warc, .gz)")
        if fmt == "warc":
            from services.ingest.warc import iter_warc  # warcio only when archives are read

            for record_id, payload, done in iter_warc(path):
                yield Document(f"{path}#{record_id}", payload, str(path), done)
        elif fmt == "jsonl":
            yield from _jsonl(path, gz, forced_format)
        else:
            data = path.read_bytes()
            raw = gzip.decompress(data) if gz else data
            text = decode_page(raw) if fmt == "html" else raw.decode("utf-8", "replace")
            yield Document(str(path), _payload(text, fmt, forced_format), str(path), len(data))
