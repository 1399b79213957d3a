"""Reconcile what the ingest API accepted with what came out of the pipeline.

Every record on news.raw is an accepted article (the API answers 202 only after the
broker acked it). Each must end on exactly one of news.articles, news.duplicates or
news.dlq, exactly once, for a `read_committed` reader. Pure: the caller reads the
topics; this only counts.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

OUTCOME_TOPICS = ("news.articles", "news.duplicates", "news.dlq")


@dataclass(frozen=True)
class Seen:
    """One output record: the ingest id it carries (or, for DLQ records of raw
    messages without one, the raw record's position)."""

    topic: str
    ingest_id: str | None
    origin: tuple[str, int, int] | None = None  # (topic, partition, offset) for DLQ records


@dataclass
class AuditReport:
    accepted: int
    outcomes: dict[str, int]
    missing: list[str] = field(default_factory=list)
    doubled: dict[str, int] = field(default_factory=dict)
    unknown: int = 0  # outputs whose ingest id was never accepted (in the window)

    @property
    def clean(self) -> bool:
        return not self.missing and not self.doubled

    def format(self) -> str:
        lines = [f"accepted on news.raw: {self.accepted}"]
        lines += [f"  {topic:<16} {count}" for topic, count in self.outcomes.items()]
        lines.append(f"missing: {len(self.missing)}  doubled: {len(self.doubled)}  unknown: {self.unknown}")
        lines += [f"  missing {i}" for i in self.missing[:50]]
        lines += [f"  doubled {i} x{n}" for i, n in list(self.doubled.items())[:50]]
        lines.append("CLEAN" if self.clean else "NOT CLEAN")
        return "\n".join(lines)


def reconcile(
    accepted: Iterable[tuple[str | None, tuple[str, int, int]]], outputs: Iterable[Seen]
) -> AuditReport:
    """`accepted`: (ingest id or None, raw position) for every news.raw record."""
    by_id: dict[str, tuple[str, int, int]] = {}
    by_position: dict[tuple[str, int, int], str] = {}
    for ingest_id, position in accepted:
        key = ingest_id or f"raw@{position[0]}:{position[1]}:{position[2]}"
        by_id[key] = position
        by_position[position] = key
    counts: Counter[str] = Counter()
    outcomes: Counter[str] = Counter()
    unknown = 0
    for seen in outputs:
        match = seen.ingest_id if seen.ingest_id in by_id else None
        if match is None and seen.origin is not None:
            match = by_position.get(seen.origin)
        if match is None:
            unknown += 1
            continue
        counts[match] += 1
        outcomes[seen.topic] += 1
    return AuditReport(
        accepted=len(by_id),
        outcomes={t: outcomes.get(t, 0) for t in OUTCOME_TOPICS},
        missing=sorted(k for k in by_id if counts[k] == 0),
        doubled={k: n for k, n in counts.items() if n > 1},
        unknown=unknown,
    )
