"""What `newsflow ingest` already sent: a state file of content hashes per target API.

One line `<sha256 of content> <api url>` is appended as soon as the API answered 202
(the record is on the broker), so a run killed at any point resumes where it stopped:
the next run skips every document whose content it finds here for the same API, and a
torn last line from a crash is ignored. The hash is the one the service puts in
`ingest.content_sha256`, so a line can be matched to its record on news.raw. Scoping by
API keeps a run against staging from skipping documents never sent to production.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from typing import IO

FILE_NAME = ".newsflow-ingest-state"
_LINE = re.compile(r"^([0-9a-f]{64}) (\S+)$")


def default_state_dir() -> Path:
    """`$XDG_CACHE_HOME/newsflow`, else `~/.cache/newsflow`."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "newsflow"


def content_sha256(content: str) -> str:
    return hashlib.sha256(content.encode("utf-8", "surrogatepass")).hexdigest()


class SentLog:
    def __init__(self, directory: Path, api: str) -> None:
        self.api = api.rstrip("/")
        self.path = directory / FILE_NAME
        directory.mkdir(parents=True, exist_ok=True)
        self._hashes: set[str] = set()
        if self.path.exists():
            with self.path.open(encoding="utf-8", errors="replace") as handle:
                for line in handle:
                    match = _LINE.match(line.strip())
                    if match and match.group(2) == self.api:
                        self._hashes.add(match.group(1))
        self._out: IO[str] = self.path.open("a", encoding="utf-8")

    def __contains__(self, sha: str) -> bool:
        return sha in self._hashes

    def __len__(self) -> int:
        return len(self._hashes)

    def add(self, sha: str) -> None:
        if sha in self._hashes:
            return
        self._hashes.add(sha)
        self._out.write(f"{sha} {self.api}\n")
        self._out.flush()  # one write(2) per line: a crash loses at most the line in flight

    def close(self) -> None:
        self._out.close()
