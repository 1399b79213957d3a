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
            created: list[str] = []
            if missing:
                response = await admin.create_topics(
                    [
                        NewTopic(s.name, s.partitions, s.replication_factor, topic_configs=s.config)
                        for s in missing
                    ]
                )
                _raise_for_errors(response)
                created = [s.name for s in missing]
                log.info("created topics", extra={"topics": created})
            await _wait_visible(admin, specs, deadline)
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


async def _wait_visible(admin: AIOKafkaAdminClient, specs: list[TopicSpec], deadline: float) -> None:
    """Until every topic has a leader on every partition in the broker's metadata.

    A topic another process created a moment ago (or that we just created) can be
    missing from the metadata for a while; a consumer group joined in that window
    keeps a wrong partition count for it until its next metadata refresh.
    """
    loop = asyncio.get_running_loop()
    by_name = {s.name: s for s in specs}
    pending = set(by_name)
    while pending:
        for described in await admin.describe_topics(sorted(pending)):
            partitions = described.get("partitions") or []
            if (
                described.get("error_code", 0) == 0
                and partitions
                and all(p.get("leader", -1) >= 0 for p in partitions)
            ):
                _check_partitions(by_name[described["topic"]], len(partitions))
                pending.discard(described["topic"])
        if pending:
            if loop.time() > deadline:
                raise TopicCreationError(f"topics not visible in metadata: {sorted(pending)}")
            await asyncio.sleep(0.1)


def _check_partitions(spec: TopicSpec, found: int) -> None:
    """State topics must match the settings: keys are placed by `hash % partitions`."""
    if spec.exact and found != spec.partitions:
        raise TopicCreationError(
            f"topic {spec.name} has {found} partitions but NEWSFLOW_TOPICS__PARTITIONS is "
            f"{spec.partitions}; state topics cannot change their partition count in place "
            "(use a new group/prefix, or set the setting back)"
        )


def _raise_for_errors(response: object) -> None:
    for name, code, *rest in getattr(response, "topic_errors", []):
        if code not in (0, TOPIC_ALREADY_EXISTS):
            message = rest[0] if rest else ""
            raise TopicCreationError(f"topic {name}: error {code} {message}")
