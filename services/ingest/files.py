"""Files and folders -> ingest API payloads: pure, so the CLI and tests share it.

.html/.htm -> html, .txt -> text, .json -> one crawler JSON document (or an API
payload if it already has `content`), .jsonl -> one per line; `.gz` on any of them.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

FORMATS = {".html": "html", ".htm": "html", ".txt": "text", ".json": "json", ".jsonl": "jsonl"}


@dataclass(frozen=True)
class Document:
    origin: str  # path (and line) for error reports
    payload: dict[str, Any]


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


def _payload(text: str, fmt: str, forced: str | None) -> dict[str, Any]:
    if fmt == "json":
        try:
            obj = orjson.loads(text)
        except orjson.JSONDecodeError:
            obj = None
        if isinstance(obj, dict) and isinstance(obj.get("content"), str):
            return obj
    return {"content": text, "format": forced or fmt}


def iter_documents(paths: list[str], forced_format: str | None = None) -> Iterator[Document]:
    for path in iter_files(paths):
        fmt, gz = _kind(path)
        if fmt is None:
            raise ValueError(f"{path}: unsupported file type (html, htm, txt, json, jsonl, .gz)")
        data = path.read_bytes()
        text = (gzip.decompress(data) if gz else data).decode("utf-8", "replace")
        if fmt == "jsonl":
            for number, line in enumerate(text.splitlines(), start=1):
                if line.strip():
                    yield Document(f"{path}:{number}", _payload(line, "json", forced_format))
        else:
            yield Document(str(path), _payload(text, fmt, forced_format))
