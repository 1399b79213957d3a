"""SIGTERM while requests are in flight: every 202 the clients got is on news.raw.

aiohttp stops accepting, lets in-flight handlers finish (they wait for the broker's ack),
then the producer flushes and closes. A client may see a refused or reset connection,
never a 202 for an article that is not stored.
"""

from __future__ import annotations

import asyncio
import signal
from typing import Any

import httpx
import orjson
import pytest

from tests.support.feed import text_articles
from tests.support.kafka import read_all
from tests.support.system import running_system

pytestmark = pytest.mark.kafka


async def test_sigterm_drains_in_flight_requests(kafka_broker: Any, tmp_path: Any) -> None:
    with running_system(kafka_broker.bootstrap, tmp_path, ("ingest",)) as system:
        url = system.url("ingest") + "/v1/articles"
        acked: list[str] = []
        failed = 0
        first_ack = asyncio.Event()

        async with httpx.AsyncClient(timeout=30) as client:

            async def post(doc: dict[str, str]) -> None:
                nonlocal failed
                try:
                    response = await client.post(url, json=doc)
                except httpx.HTTPError:
                    failed += 1
                    return
                if response.status_code == 202:
                    acked.append(response.json()["id"])
                    first_ack.set()
                else:
                    failed += 1

            tasks = [asyncio.create_task(post(doc)) for doc in text_articles(150, seed=3)]
            await asyncio.wait_for(first_ack.wait(), 30)  # then stop with the rest in flight
            system.supervisor["ingest"].signal(signal.SIGTERM)
            await asyncio.gather(*tasks)

        assert system.supervisor["ingest"].proc.wait(30) == 0  # a clean exit
        stored = {
            orjson.loads(r.value)["ingest"]["id"] for r in await read_all(system.bootstrap, system.topics.raw)
        }
        assert acked, "no request finished before the shutdown"
        assert set(acked) <= stored
        print(f"\n{len(acked)} acked and stored, {failed} refused during shutdown")
