"""`newsflow topics create|list`."""

from __future__ import annotations

import asyncio

from aiokafka.admin import AIOKafkaAdminClient

from services.core.kafka.admin import ensure_topics
from services.core.kafka.clients import common_kwargs
from services.core.settings import IngestSettings
from services.core.topics import Topics


def run_topics(action: str) -> int:
    settings = IngestSettings()  # any service's settings carry kafka + topics
    if action == "create":
        created = asyncio.run(ensure_topics(settings.kafka, Topics(settings.topics).specs(settings.kafka)))
        print("created: " + (", ".join(created) if created else "nothing (all exist)"))
        return 0

    async def listing() -> list[str]:
        admin = AIOKafkaAdminClient(**common_kwargs(settings.kafka))
        await admin.start()
        try:
            return sorted(await admin.list_topics())
        finally:
            await admin.close()

    print("\n".join(asyncio.run(listing())))
    return 0
