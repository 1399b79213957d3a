"""All settings of all services, read from `NEWSFLOW_*` environment variables.

One pydantic-settings class per service, frozen, nested with `__`
(`NEWSFLOW_KAFKA__BOOTSTRAP_SERVERS`, `NEWSFLOW_HTTP__PORT`). Settings are built in
`main()` and passed down; nothing reads the environment at import time, so tests and
`newsflow dev` can run several services with different settings in one machine.
The README's configuration table is generated from these classes
(`newsflow settings --markdown`), so the documentation cannot drift from the code.
"""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

MiB = 1024 * 1024


class KafkaSettings(BaseModel):
    """How every client (producer, consumer, admin, faust) reaches the brokers."""

    model_config = ConfigDict(frozen=True)

    bootstrap_servers: str = Field("127.0.0.1:9092", description="Comma-separated host:port list.")
    security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] | None = None
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None
    ssl_cafile: Path | None = Field(None, description="CA bundle for TLS.")
    ssl_certfile: Path | None = None
    ssl_keyfile: Path | None = None
    compression: Literal["none", "gzip", "lz4", "zstd"] = Field(
        "none",
        description=(
            "Producer compression. Off by default: on 2 cores lz4 cost the stages more CPU "
            "than the broker saved (make bench: text 47 -> 53 articles/s, HTML 17.6 -> 20.3 "
            "pages/s without it). Set lz4 or zstd when network or disk bound (HTML "
            "compresses 5-10x)."
        ),
    )
    max_message_bytes: int = Field(
        16 * MiB, description="Largest record produced/fetched; topics are created to match."
    )
    request_timeout_ms: int = 30_000
    fetch_max_wait_ms: int = Field(
        100,
        ge=1,
        description="Longest the broker holds a consumer's fetch while none of its partitions has new "
        "records. A consumer has one fetch in flight per broker, and it leaves out the partitions whose "
        "fetched records its stage has not taken yet: records arriving there wait for that fetch to "
        "return. With faust's 1,500 ms the sink stalled up to 1.6 s at 50 articles/s (make bench); "
        "lower costs an idle consumer more fetch requests.",
    )


class TopicSettings(BaseModel):
    """Names and shapes of the contract topics (see services/core/topics.py)."""

    model_config = ConfigDict(frozen=True)

    prefix: str = Field("", description="Prepended to every topic name, e.g. `staging.`.")
    partitions: int = Field(6, ge=1, description="Partitions of every contract topic.")
    replication_factor: int = Field(1, ge=1)
    create: bool = Field(True, description="Create missing topics at service start-up.")


class HttpSettings(BaseModel):
    model_config = ConfigDict(frozen=True)

    host: str = "127.0.0.1"
    port: int = 8000
    advertised_host: str | None = Field(
        None,
        description="How other sink workers reach this one (request routing); "
        "default: `host`, or this machine's hostname when `host` is 0.0.0.0.",
    )

    def reachable_host(self) -> str:
        if self.advertised_host:
            return self.advertised_host
        return socket.gethostname() if self.host in ("0.0.0.0", "::") else self.host


class _Base(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="NEWSFLOW_", env_nested_delimiter="__", frozen=True, extra="ignore"
    )

    kafka: KafkaSettings = KafkaSettings()
    topics: TopicSettings = TopicSettings()
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    data_dir: Path = Field(Path(".data"), description="Local state (RocksDB tables, caches).")
    nice: int = Field(
        0,
        ge=0,
        le=19,
        description="CPU priority below normal (Unix nice, 0-19) that `newsflow run` gives this "
        "service, and its session's scheduling group when it leads its session (as the supervisor "
        "starts it): a busy machine serves the others first.",
    )


class IngestSettings(_Base):
    """`newsflow run ingest`: the HTTP front door."""

    http: HttpSettings = HttpSettings(port=8000)
    max_body_bytes: int = Field(10 * MiB, description="Largest single article body (413 above).")
    max_batch_bytes: int = Field(64 * MiB, description="Largest NDJSON batch request (413 above).")
    max_batch_lines: int = Field(10_000, description="Most lines in one batch request.")
    produce_timeout_s: float = Field(15.0, description="Give up (503) if the broker has not acked.")
    auth_tokens: list[SecretStr] = Field(
        default_factory=list,
        description='Bearer tokens allowed to POST (JSON list, e.g. `["t1","t2"]`); empty = no auth.',
    )
    rate_limit_per_s: float = Field(
        0.0, ge=0, description="Requests per second per token (429 above); 0 = unlimited."
    )
    rate_limit_burst: int = Field(50, ge=1, description="Token-bucket burst per token.")
    # --- ingest sources: feeds and backfill (services/ingest/README.md) ---
    feeds_file: Path | None = Field(
        None, description="Feeds to poll: YAML/JSON list of {url, interval_s, source, section}; unset = none."
    )
    feeds_allow_private: bool = Field(
        False, description="Let feeds and item pages resolve to private/loopback/link-local addresses."
    )
    feeds_interval_s: float = Field(300.0, gt=0, description="Poll interval of feeds that set none.")
    feeds_jitter: float = Field(0.1, ge=0, le=1, description="Poll intervals vary by ± this fraction.")
    feeds_timeout_s: float = Field(20.0, gt=0, description="Deadline for one feed/page request.")
    feeds_retries: int = Field(
        2, ge=0, description="Retries per request (timeouts, network errors, 429, 5xx)."
    )
    feeds_max_bytes: int = Field(5 * MiB, ge=1024, description="Largest feed or page body fetched.")
    feeds_max_redirects: int = Field(5, ge=0, description="Most redirects followed per request.")
    feeds_per_host: int = Field(2, ge=1, description="Concurrent requests per host.")
    feeds_concurrency: int = Field(8, ge=1, description="Concurrent item page fetches in all.")
    feeds_max_items_per_poll: int = Field(
        100, ge=1, description="New items fetched per poll; the rest next poll."
    )
    feeds_item_attempts: int = Field(5, ge=1, description="Polls an item may fail before it is given up.")
    backfill_rate_per_s: float = Field(
        20.0,
        ge=0,
        description="Documents/s for all `X-Ingest-Source: backfill` clients together; 0 = unlimited.",
    )
    backfill_burst: int = Field(20, ge=1, description="Token-bucket burst of the backfill limit.")


class RocksDBSettings(BaseModel):
    """Memory of each RocksDB a worker opens (one per table and partition)."""

    model_config = ConfigDict(frozen=True)

    write_buffer_mb: int = Field(
        4, ge=1, description="Memtable size per table partition (RocksDB's default 64 MB, faust keeps 3)."
    )
    block_cache_mb: int = Field(
        8, ge=1, description="Read cache per table partition (faust's default is 2 GB each)."
    )


class _StageBase(_Base):
    http: HttpSettings = HttpSettings()
    rocksdb: RocksDBSettings = RocksDBSettings()
    app_id_prefix: str = Field("newsflow", description="Consumer group = `<prefix>-<service>`.")
    instance_id: str | None = Field(
        None,
        description="Stable name of this worker (transactional id suffix); default host-port. "
        "Keep it stable across restarts so a restarted worker fences its dead predecessor.",
    )
    batch_size: int = Field(
        200,
        ge=1,
        description="Most messages per transaction, an envelope counted by what it carries "
        "(sink: per agent batch).",
    )
    transaction_timeout_ms: int = Field(
        30_000, description="Broker aborts a transaction its producer abandoned after this."
    )
    store: Literal["memory", "rocksdb"] = Field(
        "rocksdb", description="faust table store: rocksdb (RocksDB via rocksdict) or memory."
    )


class NormalizerSettings(_StageBase):
    http: HttpSettings = HttpSettings(port=8011)
    max_chars: int = Field(5_000_000, description="Longer inputs are truncated with a warning.")


class CategorizerSettings(_StageBase):
    http: HttpSettings = HttpSettings(port=8012)
    model_path: Path | None = Field(None, description="Model file; default: the bundled one.")
    section_table: Path | None = Field(None, description="Section->IPTC table override (JSON).")


class DeduperSettings(_StageBase):
    http: HttpSettings = HttpSettings(port=8013)
    batch_size: int = Field(
        1000,
        ge=1,
        description="Most messages per transaction, an envelope counted by what it carries. "
        "In phases an article is ~20 messages on the deduper's internal topics, so ~50 articles; "
        "inline (one deduper) it is one message, so up to 1,000.",
    )
    window_days: float = Field(7.0, gt=0, description="How long an article stays in the index.")
    inline_dedupe: bool = Field(
        True,
        description="While one worker owns every index partition (a single deduper), decide each "
        "article in one step against its own tables instead of the three internal-topic phases.",
    )


class _TableStageBase(_StageBase):
    """The sink's apps: faust tables fed in agent batches, with retention."""

    retention_days: float = Field(
        7.0,
        ge=0,
        description="Articles, related lists, stories and candidate pools not touched for this many "
        "days (counted from ingest time) are deleted; 0 keeps everything.",
    )
    sweep_interval_s: float = Field(600.0, gt=0, description="How often each worker applies retention.")
    batch_wait_ms: float = Field(
        10.0,
        ge=0,
        description="How long an agent waits to fill a batch (of up to `batch_size` messages) "
        "before handling what it has: each key is written, and each view sent, once per batch.",
    )
    inline_fanout: bool = Field(
        True,
        description="While this worker owns every partition of one of its internal topics (one "
        "worker), hand that topic's messages to their agent within the sending batch instead of "
        "through Kafka.",
    )


class SinkSettings(_TableStageBase):
    http: HttpSettings = HttpSettings(port=8001)
    latest_size: int = Field(50, ge=1, description="Articles kept per latest view.")


class RelatedSettings(_TableStageBase):
    http: HttpSettings = HttpSettings(port=8014)
    nice: int = Field(
        10,
        ge=0,
        le=19,
        description="CPU priority below normal (Unix nice, and its session group's when it leads "
        "its session): related lists are enrichment, so when the CPUs are short the stages that "
        "make articles visible go first; 0 = equal share.",
    )
    related_k: int = Field(10, ge=0, description="Related articles kept per article.")


SERVICE_SETTINGS: dict[str, type[_Base]] = {
    "ingest": IngestSettings,
    "normalizer": NormalizerSettings,
    "categorizer": CategorizerSettings,
    "deduper": DeduperSettings,
    "sink": SinkSettings,
    "related": RelatedSettings,
}
