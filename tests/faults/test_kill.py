"""Nothing lost, nothing doubled: SIGKILL the stream services while 3,000 articles flow.

Every stage commits outputs, state and input offsets in one Kafka transaction, and a
restarted worker fences its dead predecessor, so a read_committed reader must see each
accepted ingest id exactly once on news.articles, news.duplicates or news.dlq.
Prints a table of faults tried, articles sent, lost and doubled.
"""

from __future__ import annotations

import asyncio
import random
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import orjson
import pytest

from services.core.audit import AuditReport
from services.core.commands.audit import audit
from services.core.settings import KafkaSettings
from tests.support.feed import text_articles
from tests.support.kafka import produce, wait_for
from tests.support.system import System, diagnosis, running_system

pytestmark = [pytest.mark.kafka, pytest.mark.faults]

ARTICLES = 3000
VICTIMS = ("normalizer", "categorizer", "deduper", "sink", "related")
RESULTS: list[tuple[str, int, int, int]] = []


def send_all(system: System, docs: list[dict[str, str]], accepted: list[str], batch: int = 50) -> None:
    """POST in NDJSON batches; retry 503s (Kafka slow) so only 202s count as accepted."""
    with httpx.Client(timeout=60) as client:
        for i in range(0, len(docs), batch):
            body = b"\n".join(orjson.dumps(d) for d in docs[i : i + batch])
            for _ in range(30):
                response = client.post(system.url("ingest") + "/v1/articles/batch", content=body)
                if response.status_code == 202 and not response.json()["errors"]:
                    accepted.extend(response.json()["ids"])
                    break
                time.sleep(1.0)
            else:
                raise AssertionError(f"batch {i} never accepted: {response.text[:300]}")
            time.sleep(0.02)


def wait_clean(system: System, expected: int, timeout_s: float = 420) -> AuditReport:
    kafka = KafkaSettings(bootstrap_servers=system.bootstrap)
    deadline = time.monotonic() + timeout_s
    report = asyncio.run(audit(kafka, system.topics, None))
    while time.monotonic() < deadline:
        report = asyncio.run(audit(kafka, system.topics, None))
        if report.accepted >= expected and not report.missing:
            time.sleep(3)  # late doubles would show up now
            return asyncio.run(audit(kafka, system.topics, None))
        time.sleep(3)
    return report


@pytest.fixture(scope="module")
def system(kafka_broker: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    with running_system(
        kafka_broker.bootstrap,
        tmp_path_factory.mktemp("faults"),
        partitions=3,
        restart=True,
        extra_env={"NEWSFLOW_BATCH_SIZE": "50"},
    ) as running:
        yield running


def test_sigkill_every_stream_service_mid_stream(system: System) -> None:
    rng = random.Random(2026)
    docs = text_articles(ARTICLES)
    accepted: list[str] = []
    sender = threading.Thread(target=send_all, args=(system, docs, accepted))
    sender.start()
    kills: list[str] = []
    while sender.is_alive() or len(kills) < 8:
        time.sleep(rng.uniform(1.0, 3.0))
        victim = rng.choice(VICTIMS)
        system.supervisor[victim].signal(9)
        kills.append(victim)
    sender.join()
    for victim in VICTIMS:  # every service killed at least once
        if victim not in kills:
            system.supervisor[victim].signal(9)
            kills.append(victim)
    report = wait_clean(system, len(accepted))
    RESULTS.append(
        (
            f"SIGKILL x{len(kills)} ({', '.join(sorted(set(kills)))})",
            len(accepted),
            len(report.missing),
            len(report.doubled),
        )
    )
    print("\n" + report.format())
    assert report.accepted == len(accepted) == ARTICLES
    assert (len(report.missing), len(report.doubled)) == (0, 0), diagnosis(system)
    assert sum(system.supervisor[v].restarts for v in VICTIMS) >= len(set(kills))


def ingest_ids(records: list[Any]) -> set[str]:
    ids = set()
    for record in records:
        try:
            ids.add(orjson.loads(record.value)["ingest"]["id"])
        except (orjson.JSONDecodeError, KeyError, TypeError):
            continue  # the test's own poison records
    return ids


def test_poison_message_at_every_stage_goes_to_the_dlq(system: System) -> None:
    """A message each stage cannot decode: DLQ with that stage, and the stream goes on."""
    poison = {  # news.articles has two readers: each reports its own failure
        system.topics.raw: {"normalizer"},
        system.topics.normalized: {"categorizer"},
        system.topics.categorized: {"deduper"},
        system.topics.articles: {"sink", "related"},
    }
    for topic in poison:
        asyncio.run(
            produce(
                system.bootstrap, topic, [(f"poison-{topic}".encode(), b'{"schema_version": 1, "id": 5}')]
            )
        )
    expected = {f"poison-{t}": stages for t, stages in poison.items()}

    def stages_of(records: list[Any]) -> dict[str, set[str]]:
        found: dict[str, set[str]] = {}
        for r in records:
            if r.key is not None and r.key.decode() in expected:
                found.setdefault(r.key.decode(), set()).add(orjson.loads(r.value)["stage"])
        return found

    records = asyncio.run(
        wait_for(system.bootstrap, system.topics.dlq, lambda rs: stages_of(rs) == expected, timeout_s=180)
    )
    assert stages_of(records) == expected

    accepted: list[str] = []
    send_all(system, text_articles(5, seed=99), accepted)
    # the stream goes on: the later articles get their verdict (the fixture texts share
    # paragraphs, so some are near duplicates of earlier ones: either outcome topic counts)
    report = wait_clean(system, 0)
    assert (len(report.missing), len(report.doubled)) == (0, 0), diagnosis(system)


def test_print_fault_table() -> None:
    print("\n| fault | articles sent | lost | doubled |\n|---|---|---|---|")
    for fault, sent, lost, doubled in RESULTS:
        print(f"| {fault} | {sent} | {lost} | {doubled} |")
    assert RESULTS, "no fault run recorded"
