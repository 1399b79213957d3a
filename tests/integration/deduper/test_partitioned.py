"""Two deduper workers on the real broker: copies are found whichever partition their
original landed on, and a killed-and-restarted worker never calls a known article unique.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from services.core.codec import encode
from services.core.models import Article, RawArticle
from services.core.supervisor import ServiceProcess
from services.ingest.requests import new_ingest
from services.normalizer.pipeline import normalize
from tests.support.feed import text_articles
from tests.support.kafka import produce, read_all
from tests.support.system import free_port, running_system

pytestmark = pytest.mark.kafka
ORIGINALS = 24


def article(doc: dict[str, str], source: str) -> Article:
    raw = RawArticle(
        ingest=new_ingest(doc["content"], "test"), content=doc["content"], format="text", source=source
    )
    return normalize(raw)


def near_copy(doc: dict[str, str], n: int) -> dict[str, str]:
    """The same story re-wrapped: other headline and chrome, house-style edits, cut short."""
    paragraphs = doc["content"].split("\n\n")
    body = [p.replace("per cent", "%").replace('"', "\u201c") for p in paragraphs[3:-1]]
    chrome = [
        "Menu | World | Business | Sport",
        "Share on Facebook  Share on X",
        "Subscribe to our newsletter",
    ]
    text = "\n\n".join(
        [
            f"Syndicated: talks continue, report {n}",
            chrome[0],
            paragraphs[1],
            paragraphs[2],
            *body,
            chrome[1],
            chrome[2],
        ]
    )
    return {"content": text, "format": "text"}


@contextmanager
def two_deduper_workers(bootstrap: str, state: Path) -> Iterator[tuple[Any, list[ServiceProcess]]]:
    """A system of its own (unique topic prefix and group) with a second deduper worker."""
    with running_system(bootstrap, state / "a", ("deduper",), partitions=6) as system:
        env = dict(system.supervisor["deduper"].env) | {"NEWSFLOW_DATA_DIR": str(state / "b")}
        second = ServiceProcess(
            "deduper", env, free_port(), restart=False, on_line=lambda n, line: system.logs.append(line)
        )
        second.start()
        deadline = time.monotonic() + 120
        while not second.ready() and time.monotonic() < deadline:
            time.sleep(0.5)
        assert second.ready(), "second deduper worker did not get ready"
        try:
            yield system, [system.supervisor["deduper"], second]
        finally:
            second.stop()


@pytest.fixture(scope="module")
def workers(
    kafka_broker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Any, list[ServiceProcess]]]:
    with two_deduper_workers(kafka_broker.bootstrap, tmp_path_factory.mktemp("dedupe")) as pair:
        yield pair


def verdicts(records: list[Any]) -> dict[str, dict[str, Any]]:
    """ingest id -> dedupe verdict."""
    out = {}
    for record in records:
        value = orjson.loads(record.value)
        out[value["ingest"]["id"]] = value["dedupe"] | {"id": value["id"]}
    return out


async def wait_verdicts(
    system: Any, wanted: set[str], phase: str, timeout: float = 180
) -> dict[str, dict[str, Any]]:
    deadline = time.monotonic() + timeout
    found: dict[str, dict[str, Any]] = {}
    while time.monotonic() < deadline:
        found = {}
        for topic in (system.topics.articles, system.topics.duplicates):
            found |= verdicts(await read_all(system.bootstrap, topic, idle_s=1.0))
        if wanted <= set(found):
            return found
        await asyncio.sleep(1.0)
    dlq = [orjson.loads(r.value) for r in await read_all(system.bootstrap, system.topics.dlq)]
    reasons = [(d["stage"], d["error"]["type"], d["topic"]) for d in dlq]
    notes = [line[:300] for line in system.logs if '"level":"warning"' in line or '"level":"error"' in line]
    raise AssertionError(
        f"{phase}: {len(wanted - set(found))} verdicts missing; dlq: {reasons[:10]}; "
        f"deduper warnings: {notes[-15:]}"
    )


async def test_copies_found_across_partitions_and_after_a_restart(workers: Any) -> None:
    system, (first, second) = workers
    docs = text_articles(ORIGINALS, seed=41)
    originals = [article(d, "Wire A") for d in docs]
    await produce(
        system.bootstrap, system.topics.categorized, [(a.id.encode(), encode(a)) for a in originals]
    )
    copies = [article(near_copy(d, n), "Paper B") for n, d in enumerate(docs)]
    await asyncio.sleep(3)  # originals first: copies arrive "later", as in the wild
    await produce(system.bootstrap, system.topics.categorized, [(c.id.encode(), encode(c)) for c in copies])

    found = await wait_verdicts(system, {a.ingest.id for a in originals + copies}, "two workers")
    assert all(found[a.ingest.id]["status"] == "unique" for a in originals)
    partitions = {hash_partition(a.id) for a in originals} | {hash_partition(c.id) for c in copies}
    assert len(partitions) > 2  # the copies really live on other partitions than many originals
    for original, copy in zip(originals, copies, strict=True):
        verdict = found[copy.ingest.id]
        assert verdict["status"] == "duplicate", verdict
        assert verdict["duplicate_of"] == original.id

    for worker in (first, second):  # both workers took part (the group split the partitions)
        text = httpx.get(worker.url + "/metrics", timeout=10).text
        assert "newsflow_messages_in_total{" in text, f"worker on {worker.port} consumed nothing"


async def test_known_articles_stay_known_after_a_worker_is_killed(workers: Any) -> None:
    system, (first, _second) = workers
    docs = text_articles(ORIGINALS, seed=41)  # the articles of the test above
    first.kill()  # SIGKILL one worker, then bring it back on the same state dir and port
    first.start()
    deadline = time.monotonic() + 120
    while not first.ready() and time.monotonic() < deadline:
        time.sleep(0.5)
    again = [article(d, "Wire A") for d in docs]  # the same articles re-ingested
    more = [article(near_copy(d, n + 100), "Paper C") for n, d in enumerate(docs)]
    await produce(
        system.bootstrap, system.topics.categorized, [(a.id.encode(), encode(a)) for a in again + more]
    )
    found = await wait_verdicts(system, {a.ingest.id for a in again + more}, "after kill and restart")
    unique = [
        ("again" if a in again else "more", found[a.ingest.id])
        for a in again + more
        if found[a.ingest.id]["status"] == "unique"
    ]
    assert not unique, f"{len(unique)} known articles came out unique: {unique[:3]}"
    assert all(found[a.ingest.id]["kind"] == "reingest" for a in again)


def hash_partition(key: str, partitions: int = 6) -> int:
    from aiokafka.partitioner import murmur2

    return (murmur2(key.encode()) & 0x7FFFFFFF) % partitions
