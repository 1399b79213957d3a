"""`newsflow ingest PATH...`: send documents to the ingest API with a progress bar."""

from __future__ import annotations

import asyncio
import sys

import httpx
from tqdm import tqdm

from services.ingest.files import Document, iter_documents


async def _send_all(
    docs: list[Document], api: str, concurrency: int, progress: bool
) -> tuple[int, list[str]]:
    errors: list[str] = []
    sent = 0
    queue: asyncio.Queue[Document] = asyncio.Queue()
    for doc in docs:
        queue.put_nowait(doc)
    bar = tqdm(total=len(docs), unit="doc", disable=not progress, file=sys.stderr)

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal sent
        while not queue.empty():
            doc = queue.get_nowait()
            for attempt in range(5):
                try:
                    response = await client.post(f"{api}/v1/articles", json=doc.payload)
                except httpx.HTTPError as exc:
                    response, error = None, repr(exc)
                else:
                    error = response.text
                if response is not None and response.status_code == 202:
                    sent += 1
                    break
                retry = response is None or response.status_code in (429, 503)
                if not retry or attempt == 4:
                    errors.append(f"{doc.origin}: {error[:300]}")
                    break
                await asyncio.sleep(0.5 * 2**attempt)
            bar.update(1)

    async with httpx.AsyncClient(timeout=60) as client:
        await asyncio.gather(*(worker(client) for _ in range(max(1, concurrency))))
    bar.close()
    return sent, errors


def run_upload(paths: list[str], api: str, fmt: str | None, concurrency: int, progress: bool = True) -> int:
    try:
        docs = list(iter_documents(paths, fmt))
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    sent, errors = asyncio.run(_send_all(docs, api.rstrip("/"), concurrency, progress))
    for error in errors:
        print(f"refused: {error}", file=sys.stderr)
    print(f"ingested {sent} of {len(docs)} documents", file=sys.stderr)
    return 0 if not errors else 1
