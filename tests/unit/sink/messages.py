"""Building and reading handler messages in the unit tests of the sink and the related worker."""

from aiokafka.partitioner import DefaultPartitioner

from services.core.models import RelatedItem
from services.related.candidates import Offer
from services.sink import handlers

PARTITIONS = 3


def kafka_partition(key: bytes, n: int = PARTITIONS) -> int:
    every = list(range(n))
    return int(DefaultPartitioner()(key, every, every))


def sends_by_role(step: handlers.Step) -> dict[str, list[handlers.Send]]:
    by_role: dict[str, list[handlers.Send]] = {}
    for send in step.sends:
        by_role.setdefault(send.role, []).append(send)
    return by_role


def offer(target: str, *items: tuple[str, float], version: int = 1) -> Offer:
    return Offer(
        target=target, version=version, items=[RelatedItem(id=i, score=s, reason="text") for i, s in items]
    )
