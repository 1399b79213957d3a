"""`newsflow ingest PATH...`: send documents to the ingest API with a progress bar.

Thin shell over services.ingest.files.iter_documents (reading), resume.SentLog
(skip what was sent before), throttle.Pacer (`--rate`). Files are read in a thread and
streamed through a small queue, so memory stays flat for any archive size. The bar
counts input bytes (rate and ETA are honest for one huge WARC as for many small files)
and shows documents sent/skipped/refused and docs/s beside it.

Every request says who sends it (`X-Ingest-Source: files`, or `backfill` with
`--backfill`); the service holds backfill to its own rate limit and answers 429 with
Retry-After when it is spent: that is flow control, so the client waits and retries
rather than counting an error.
"""

from __future__ import annotations

import asyncio
import random
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from tqdm import tqdm

from services.ingest.files import Document, check_files, iter_documents
from services.ingest.resume import SentLog, content_sha256, default_state_dir
from services.ingest.sources import HEADER
from services.ingest.throttle import Pacer

RETRIES = 5  # for network errors and 503
MAX_THROTTLED_S = 3600.0  # total 429 waiting per document before it counts as refused


@dataclass(frozen=True)
class FileDone:
    path: str
    size: int


@dataclass
class _Tally:
    sent: int = 0
    skipped: int = 0
    errors: list[str] = field(default_factory=list)
    done: dict[str, int] = field(default_factory=dict)  # file -> bytes accounted

    @property
    def finished(self) -> int:
        return self.sent + self.skipped + len(self.errors)


def _retry_after(response: httpx.Response) -> float:
    try:
        return min(60.0, max(0.2, float(response.headers.get("Retry-After", "1"))))
    except ValueError:
        return 1.0


async def _post(
    client: httpx.AsyncClient, url: str, payload: dict[str, Any], headers: dict[str, str]
) -> str | None:
    """None when the API answered 202, else why not (after retries)."""
    attempt, throttled = 0, 0.0
    while True:
        response: httpx.Response | None = None
        try:
            response = await client.post(url, json=payload, headers=headers)
        except httpx.HTTPError as exc:
            error = repr(exc)
        else:
            if response.status_code == 202:
                return None
            error = f"HTTP {response.status_code}: {response.text[:300]}"
        if response is not None and response.status_code == 429 and throttled < MAX_THROTTLED_S:
            wait = _retry_after(response) * random.uniform(1.0, 1.5)
            throttled += wait
            await asyncio.sleep(wait)
            continue
        retry = response is None or response.status_code == 503
        if not retry or attempt >= RETRIES - 1:
            return error
        await asyncio.sleep(0.5 * 2**attempt)
        attempt += 1


def _read_files(
    files: list[Path], fmt: str | None, queue: asyncio.Queue[Any], loop: Any, workers: int
) -> None:
    """Reader thread: documents and end-of-file marks into the queue, then one stop per worker."""

    def put(item: Any) -> None:
        asyncio.run_coroutine_threadsafe(queue.put(item), loop).result()

    try:
        for path in files:
            for doc in iter_documents([str(path)], fmt):
                put(doc)
            put(FileDone(str(path), path.stat().st_size))
    except Exception as exc:  # unreadable or corrupt file: report it, stop reading
        put(exc)
    finally:
        for _ in range(workers):
            put(None)


async def _send_all(
    files: list[Path],
    api: str,
    fmt: str | None,
    concurrency: int,
    progress: bool,
    source: str,
    pacer: Pacer,
    sent_log: SentLog | None,
    token: str | None,
) -> _Tally:
    tally = _Tally()
    total = sum(path.stat().st_size for path in files)
    bar = tqdm(
        total=total,
        unit="B",
        unit_scale=True,
        unit_divisor=1024,
        disable=not progress,
        file=sys.stderr,
        desc="ingest",
        dynamic_ncols=True,
    )
    started = time.monotonic()
    workers = max(1, concurrency)
    queue: asyncio.Queue[Any] = asyncio.Queue(maxsize=workers * 4)
    headers = {HEADER: source}
    if token:
        headers["Authorization"] = f"Bearer {token}"

    def advance(path: str, done: int) -> None:
        before = tally.done.get(path, 0)
        if done > before:
            tally.done[path] = done
            bar.update(done - before)
        rate = tally.finished / max(1e-6, time.monotonic() - started)
        bar.set_postfix(
            sent=tally.sent,
            skipped=tally.skipped,
            refused=len(tally.errors),
            docs_s=f"{rate:.1f}",
            refresh=False,
        )

    async def one(client: httpx.AsyncClient, doc: Document) -> None:
        payload = dict(doc.payload)
        content = payload.get("content")
        sha = content_sha256(content) if isinstance(content, str) else None
        if sent_log is not None and sha is not None and sha in sent_log:
            tally.skipped += 1
            return
        fetch = payload.get("fetch")
        if fetch is None or isinstance(fetch, dict):
            payload["fetch"] = {"origin": doc.origin[-500:], **(fetch or {})}
        await asyncio.sleep(pacer.reserve())
        error = await _post(client, f"{api}/v1/articles", payload, headers)
        if error is None:
            tally.sent += 1
            if sent_log is not None and sha is not None:
                sent_log.add(sha)
        else:
            tally.errors.append(f"{doc.origin}: {error}")

    async def worker(client: httpx.AsyncClient) -> None:
        while (item := await queue.get()) is not None:
            if isinstance(item, Exception):
                tally.errors.append(f"read error: {item}")
            elif isinstance(item, FileDone):
                advance(item.path, item.size)
            else:
                await one(client, item)
                advance(item.path, item.done_bytes)

    loop = asyncio.get_running_loop()
    reader = threading.Thread(target=_read_files, args=(files, fmt, queue, loop, workers), daemon=True)
    async with httpx.AsyncClient(timeout=60, trust_env=False) as client:
        reader.start()
        await asyncio.gather(*(worker(client) for _ in range(workers)))
    reader.join(timeout=5)
    bar.close()
    return tally


def run_upload(
    paths: list[str],
    api: str,
    fmt: str | None,
    concurrency: int,
    progress: bool = True,
    *,
    backfill: bool = False,
    rate: float | None = None,
    state_dir: Path | None = None,
    resume: bool = False,
    token: str | None = None,
) -> int:
    """Send every document under `paths`; 0 when all were accepted or skipped, 1 if some were refused.

    `resume` (the CLI's default) skips documents already accepted by this API, as
    recorded under `state_dir` (default ~/.cache/newsflow).
    """
    try:
        files = check_files(paths)
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    sent_log = SentLog(state_dir or default_state_dir(), api) if resume else None
    started = time.monotonic()
    try:
        tally = asyncio.run(
            _send_all(
                files,
                api.rstrip("/"),
                fmt,
                concurrency,
                progress,
                "backfill" if backfill else "files",
                Pacer(rate or 0.0),
                sent_log,
                token,
            )
        )
    finally:
        if sent_log is not None:
            sent_log.close()
    for error in tally.errors:
        print(f"refused: {error}", file=sys.stderr)
    elapsed = time.monotonic() - started
    print(
        f"ingested {tally.sent} of {tally.finished} documents"
        f" ({tally.skipped} skipped as already sent, {len(tally.errors)} refused)"
        f" in {elapsed:.1f}s, {tally.finished / max(elapsed, 1e-6):.1f} docs/s",
        file=sys.stderr,
    )
    return 0 if not tally.errors else 1
