"""Every Prometheus metric newsflow exports, in one place.

Dashboards and alert rules in deploy/ may only query names defined here (a test reads
them from this module). Labels stay low-cardinality: service, stage, topic, reason,
route template, status code.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, Info, generate_latest

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300)
SIZE_BUCKETS = (1e3, 4e3, 16e3, 64e3, 256e3, 1e6, 4e6, 16e6)

SERVICE_INFO = Info("newsflow_service", "Which newsflow service and version this process runs.")

MESSAGES_IN = Counter(
    "newsflow_messages_in_total", "Messages consumed, per stage and topic.", ["stage", "topic"]
)
MESSAGES_OUT = Counter(
    "newsflow_messages_out_total", "Messages produced, per stage and topic.", ["stage", "topic"]
)
DLQ = Counter("newsflow_dlq_total", "Messages sent to the dead-letter topic.", ["stage", "reason"])
PROCESSING = Histogram(
    "newsflow_processing_seconds",
    "Time to process one message in a stage.",
    ["stage"],
    buckets=LATENCY_BUCKETS,
)
TRANSACTION_SECONDS = Histogram(
    "newsflow_transaction_seconds",
    "One exactly-once batch: begin, process, send, commit (transactional stages).",
    ["stage"],
    buckets=LATENCY_BUCKETS,
)
BATCH_RECORDS = Histogram(
    "newsflow_batch_records",
    "Input messages per transaction, an envelope counted by what it carries (transactional stages).",
    ["stage"],
    buckets=(1, 5, 20, 50, 100, 200, 500, 1000, 2000, 5000),
)
E2E_LATENCY = Histogram(
    "newsflow_e2e_latency_seconds",
    "From ingest.received_at to the message leaving this stage (sink: visible in the API).",
    ["stage"],
    buckets=LATENCY_BUCKETS,
)
ARTICLE_BYTES = Histogram(
    "newsflow_article_bytes", "Size of consumed message values.", ["stage"], buckets=SIZE_BUCKETS
)
INGEST_ACCEPTED = Counter(
    "newsflow_ingest_accepted_total", "Articles acked by Kafka and answered 202.", ["source"]
)
INGEST_REJECTED = Counter(
    "newsflow_ingest_rejected_total", "Articles refused by the ingest API.", ["status", "reason"]
)
DEDUPE_VERDICTS = Counter(
    "newsflow_dedupe_verdicts_total", "Deduper verdicts by status and kind.", ["status", "kind"]
)
PRODUCER_ERRORS = Counter("newsflow_producer_errors_total", "Produce requests that failed.", ["stage"])
STATE_EVICTED = Counter(
    "newsflow_state_evicted_total", "Table entries deleted by retention (older than the window).", ["table"]
)
PRODUCER_RENEWALS = Counter(
    "newsflow_producer_renewals_total",
    "Kafka producers replaced because they could no longer deliver (e.g. after a broker restart).",
    ["stage"],
)
TABLE_KEYS = Gauge("newsflow_table_keys", "Keys held in a local state table.", ["table"])
ROCKSDB_MEMORY = Gauge(
    "newsflow_rocksdb_memory_bytes",
    "Memory a local state table's RocksDBs hold, by kind (memtables, block_cache, table_readers).",
    ["table", "kind"],
)
STATE_BYTES = Gauge(
    "newsflow_state_bytes", "On-disk size of a local state table (RocksDB SST files).", ["table"]
)
CATEGORIZED_TOPICS = Counter(
    "newsflow_categorized_topics_total", "Articles by primary IPTC top-level topic.", ["topic"]
)
CONSUMER_LAG = Gauge(
    "newsflow_consumer_lag",
    "Messages behind the end of each assigned partition.",
    ["stage", "topic", "partition"],
)
HTTP_REQUESTS = Counter(
    "newsflow_http_requests_total", "HTTP requests by route and status.", ["route", "method", "status"]
)
HTTP_LATENCY = Histogram(
    "newsflow_http_request_seconds",
    "HTTP request latency by route.",
    ["route"],
    buckets=LATENCY_BUCKETS,
)


# --- ingest sources: feeds, files, backfill (issue 8) ---
FEED_POLLS = Counter(
    "newsflow_feed_polls_total",
    "Feed polls by configured feed name and result (ok, not_modified, timeout, http_error, malformed, "
    "blocked, ...).",
    ["feed", "result"],
)
FEED_ITEMS = Counter(
    "newsflow_feed_items_total",
    "Feed items by result (accepted = acked by Kafka; produce_failed and fetch errors are retried).",
    ["result"],
)
FEED_FETCH_REFUSED = Counter(
    "newsflow_feed_fetch_refused_total",
    "Feed/page connections refused by the SSRF guard, by address class (loopback, private, ...).",
    ["reason"],
)
FEED_FETCH_SECONDS = Histogram(
    "newsflow_feed_fetch_seconds",
    "Time to fetch a feed or an item page, retries and redirects included.",
    ["kind"],
    buckets=LATENCY_BUCKETS,
)
FEED_LAST_SUCCESS = Gauge(
    "newsflow_feed_last_success_timestamp_seconds",
    "Unix time of the last good poll (ok or not modified) per configured feed.",
    ["feed"],
)
BACKFILL_THROTTLED = Counter(
    "newsflow_backfill_throttled_total",
    "Backfill documents refused with 429 because the backfill rate limit was spent.",
)


def exposition() -> tuple[bytes, str]:
    """Body and content type of /metrics."""
    return generate_latest(), CONTENT_TYPE_LATEST


@lru_cache(maxsize=4096)
def child(metric: Any, *labels: str) -> Any:
    """`metric.labels(*labels)`, looked up once per label set.

    prometheus_client validates the labels and takes a lock on every `labels()` call
    (~2 us); the stage loops call it several times per message (2-3 % of the deduper's
    CPU). Only for metrics whose children are never removed: a removed child would stay
    cached here and no longer be exported.
    """
    return metric.labels(*labels)
