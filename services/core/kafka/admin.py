"""Topic administration: create the contract topics explicitly, never by auto-create.

Auto-created topics get broker defaults (one partition, delete policy, 1 MB limit),
which silently breaks compaction of the view topics and large HTML values.
"""

from __future__ import annotations

import asyncio
import logging

from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from services.core.exceptions import NewsflowError
from services.core.kafka.clients import common_kwargs
from services.core.settings import KafkaSettings
from services.core.topics import TopicSpec

log = logging.getLogger(__name__)

TOPIC_ALREADY_EXISTS = 36


class TopicCreationError(NewsflowError):
    """The broker refused to create a topic for a reason other than 'exists'."""


async def ensure_topics(
    kafka: KafkaSettings, specs: list[TopicSpec], *, timeout_s: float = 60.0
) -> list[str]:
    """Create every missing topic in `specs`; return the names that were created.

    Retries while the broker is still starting, so services and `make run` can call
    it right after launching Kafka.
    """
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        admin = AIOKafkaAdminClient(**common_kwargs(kafka))
        try:
            await admin.start()
            existing = set(await admin.list_topics())
            missing = [s for s in specs if s.name not in existing]
            if not missing:
                return []
            response = await admin.create_topics(
                [
                    NewTopic(s.name, s.partitions, s.replication_factor, topic_configs=s.config)
                    for s in missing
                ]
            )
            _raise_for_errors(response)
            created = [s.name for s in missing]
            log.info("created topics", extra={"topics": created})
            return created
        except TopicCreationError:
            raise
        except Exception as exc:  # broker not ready yet: retry until the deadline
            if asyncio.get_running_loop().time() > deadline:
                raise TopicCreationError(f"could not create topics: {exc!r}") from exc
            log.warning("kafka not ready for topic creation, retrying", extra={"error": repr(exc)})
            await asyncio.sleep(1.0)
        finally:
            await admin.close()


def _raise_for_errors(response: object) -> None:
    for name, code, *rest in getattr(response, "topic_errors", []):
        if code not in (0, TOPIC_ALREADY_EXISTS):
            message = rest[0] if rest else ""
            raise TopicCreationError(f"topic {name}: error {code} {message}")
