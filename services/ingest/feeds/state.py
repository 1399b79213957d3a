"""What the feed poller remembers across restarts: items done, items failing, validators.

sqlite (stdlib) rather than rocksdict or a JSON file: a commit is atomic, so a crash
mid-write never loses the file; several processes may open it at once (the running
service and a `newsflow ingest feed --once` by hand share it; RocksDB takes an
exclusive lock); and an operator can inspect or fix it with the sqlite3 shell.
WAL mode with synchronous=NORMAL: a process crash loses nothing, a power cut may lose
the last commits, which only means fetching those items again (at-least-once; the
deduper recognizes the re-ingest).

An item is "done" once the broker acked it, or once it failed permanently / too often.
Feed validators (ETag, Last-Modified) are only stored by the poller when nothing of
that poll is left to retry: otherwise the next poll would get a 304 and never see the
failed items again.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable
from pathlib import Path

_SCHEMA = """
create table if not exists items (
    url text primary key,
    feed text not null,
    status text not null,          -- acked | failed | gave_up
    attempts integer not null default 0,
    reason text,
    updated_at real not null
);
create table if not exists feeds (
    url text primary key,
    etag text,
    last_modified text,
    updated_at real not null
);
"""


class FeedState:
    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, timeout=10.0, isolation_level=None)
        self._db.execute("pragma journal_mode=wal")
        self._db.execute("pragma synchronous=normal")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        self._db.close()

    def done(self, urls: Iterable[str]) -> set[str]:
        """The subset of `urls` that must not be fetched again."""
        wanted = list(urls)
        found: set[str] = set()
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = self._db.execute(
                f"select url from items where status in ('acked', 'gave_up') and url in ({marks})", chunk
            )
            found.update(row[0] for row in rows)
        return found

    def status(self, url: str) -> tuple[str, int] | None:
        row = self._db.execute("select status, attempts from items where url = ?", (url,)).fetchone()
        return (row[0], row[1]) if row else None

    def mark_acked(self, url: str, feed: str) -> None:
        self._db.execute(
            "insert into items (url, feed, status, attempts, reason, updated_at)"
            " values (?, ?, 'acked', 0, null, ?)"
            " on conflict(url) do update set status = 'acked', reason = null,"
            " updated_at = excluded.updated_at",
            (url, feed, time.time()),
        )

    def mark_failed(
        self, url: str, feed: str, reason: str, max_attempts: int, permanent: bool = False
    ) -> bool:
        """Count one failed attempt; True when the item is given up (done, not retried)."""
        row = self.status(url)
        attempts = (row[1] if row else 0) + 1
        give_up = permanent or attempts >= max_attempts
        self._db.execute(
            "insert into items (url, feed, status, attempts, reason, updated_at) values (?, ?, ?, ?, ?, ?)"
            " on conflict(url) do update set status = excluded.status, attempts = excluded.attempts,"
            " reason = excluded.reason, updated_at = excluded.updated_at",
            (url, feed, "gave_up" if give_up else "failed", attempts, reason, time.time()),
        )
        return give_up

    def validators(self, feed_url: str) -> tuple[str | None, str | None]:
        row = self._db.execute("select etag, last_modified from feeds where url = ?", (feed_url,)).fetchone()
        return (row[0], row[1]) if row else (None, None)

    def save_validators(self, feed_url: str, etag: str | None, last_modified: str | None) -> None:
        self._db.execute(
            "insert into feeds (url, etag, last_modified, updated_at) values (?, ?, ?, ?)"
            " on conflict(url) do update set etag = excluded.etag, last_modified = excluded.last_modified,"
            " updated_at = excluded.updated_at",
            (feed_url, etag, last_modified, time.time()),
        )

    def counts(self) -> dict[str, int]:
        return dict(self._db.execute("select status, count(*) from items group by status").fetchall())
