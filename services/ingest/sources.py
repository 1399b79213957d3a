"""Which ingest source a request speaks for, and the backfill rate limit.

Clients other than plain API users say who they are with `X-Ingest-Source`
(`files` from `newsflow ingest`, `backfill` from `newsflow ingest --backfill`, `feed`
from `newsflow ingest feed`). The value lands in `ingest.source` and in the
`newsflow_ingest_accepted_total{source}` label, so it is checked against a fixed list:
a client cannot mint new label values.

Backfill traffic is held to its own token bucket, shared by every backfill client, and
counted per document (a batch of N lines costs N): however many archive loaders run,
together they add at most `backfill_rate_per_s` documents a second to news.raw, and
the pipeline keeps the rest of its capacity for live traffic.
"""

from __future__ import annotations

from services.core import metrics
from services.ingest.auth import RateLimiter
from services.ingest.exceptions import BadRequest, TooLarge

HEADER = "X-Ingest-Source"
CLIENT_SOURCES = frozenset({"api", "batch", "files", "backfill", "feed"})
BACKFILL = "backfill"


def ingest_source(header: str | None, default: str) -> str:
    """The request's ingest source: the header's value if allowed, else `default`."""
    if header is None or not header.strip():
        return default
    value = header.strip().lower()
    if value not in CLIENT_SOURCES:
        raise BadRequest("bad_ingest_source", f"{HEADER} must be one of {', '.join(sorted(CLIENT_SOURCES))}")
    return value


def admit(limiter: RateLimiter, source: str, documents: int) -> None:
    """Spend backfill budget for `documents`; raises RateLimited (429) or TooLarge (413)."""
    if source != BACKFILL or documents <= 0 or limiter.rate <= 0:
        return
    if documents > limiter.burst:
        raise TooLarge(
            "backfill_batch_too_large", f"a backfill request may carry at most {limiter.burst} documents"
        )
    try:
        limiter.take(BACKFILL, cost=float(documents), reason="backfill_rate_limited")
    except Exception:
        metrics.BACKFILL_THROTTLED.inc(documents)
        raise
