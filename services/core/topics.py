"""The topic contract: names, keys and shapes of every topic newsflow owns.

The one place topic names live. Services ask `Topics(settings.topics)` for names so a
deployment prefix (`NEWSFLOW_TOPICS__PREFIX`) applies everywhere at once.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from services.core.settings import KafkaSettings, TopicSettings

RAW = "news.raw"
NORMALIZED = "news.normalized"
CATEGORIZED = "news.categorized"
ARTICLES = "news.articles"
DUPLICATES = "news.duplicates"
LATEST = "news.latest"
RELATED = "news.related"
DLQ = "news.dlq"

ALL = (RAW, NORMALIZED, CATEGORIZED, ARTICLES, DUPLICATES, LATEST, RELATED, DLQ)
COMPACTED = frozenset({LATEST, RELATED})

# Which JSON Schema (schemas/<name>.json) each topic's values follow.
SCHEMA_OF = {
    RAW: "raw_article",
    NORMALIZED: "article",
    CATEGORIZED: "article",
    ARTICLES: "article",
    DUPLICATES: "article",
    LATEST: "latest",
    RELATED: "related",
    DLQ: "dlq_record",
}


@dataclass(frozen=True)
class TopicSpec:
    """What `newsflow topics create` creates: partitions and topic-level config."""

    name: str
    partitions: int
    replication_factor: int
    config: dict[str, str]
    # an existing topic must have exactly `partitions` (state follows them)
    exact: bool = False


@dataclass(frozen=True)
class Topics:
    """Resolved topic names for one deployment (prefix applied)."""

    settings: TopicSettings

    def name(self, base: str) -> str:
        return f"{self.settings.prefix}{base}"

    @property
    def raw(self) -> str:
        return self.name(RAW)

    @property
    def normalized(self) -> str:
        return self.name(NORMALIZED)

    @property
    def categorized(self) -> str:
        return self.name(CATEGORIZED)

    @property
    def articles(self) -> str:
        return self.name(ARTICLES)

    @property
    def duplicates(self) -> str:
        return self.name(DUPLICATES)

    @property
    def latest(self) -> str:
        return self.name(LATEST)

    @property
    def related(self) -> str:
        return self.name(RELATED)

    @property
    def dlq(self) -> str:
        return self.name(DLQ)

    def base_of(self, name: str) -> str:
        """Contract name of a (possibly prefixed) topic name."""
        return name.removeprefix(self.settings.prefix)

    def internal_spec(self, name: str, kafka: KafkaSettings) -> TopicSpec:
        """A service's own repartition topic: same partitions, short retention."""
        return TopicSpec(
            name=name,
            partitions=self.settings.partitions,
            replication_factor=self.settings.replication_factor,
            config={
                "max.message.bytes": str(kafka.max_message_bytes),
                "cleanup.policy": "delete",
                "retention.ms": str(24 * 3600 * 1000),
            },
            exact=True,
        )

    def changelog_spec(self, name: str, kafka: KafkaSettings) -> TopicSpec:
        """A state table's changelog: same partitions, compacted, kept forever. A contract
        topic serving as one (news.latest for the sink, news.related for the related
        worker) keeps its own config, and its partitions must match the table's exactly."""
        contract = next((s for s in self.specs(kafka) if s.name == name), None)
        if contract is not None:
            return dataclasses.replace(contract, exact=True)
        return TopicSpec(
            name=name,
            partitions=self.settings.partitions,
            replication_factor=self.settings.replication_factor,
            config={"cleanup.policy": "compact", "max.message.bytes": str(kafka.max_message_bytes)},
            exact=True,
        )

    def specs(self, kafka: KafkaSettings) -> list[TopicSpec]:
        """Every contract topic with its config: compaction for views, room for big HTML."""
        specs = []
        for base in ALL:
            config = {"max.message.bytes": str(kafka.max_message_bytes)}
            if base in COMPACTED:
                config |= {"cleanup.policy": "compact", "min.compaction.lag.ms": "60000"}
            else:
                config |= {"cleanup.policy": "delete", "retention.ms": str(7 * 24 * 3600 * 1000)}
            specs.append(
                TopicSpec(
                    name=self.name(base),
                    partitions=self.settings.partitions,
                    replication_factor=self.settings.replication_factor,
                    config=config,
                )
            )
        return specs
