"""Ingest source header and the backfill rate limit (per document, shared by all clients)."""

import pytest

from services.ingest.auth import RateLimited, RateLimiter
from services.ingest.exceptions import BadRequest, TooLarge
from services.ingest.sources import admit, ingest_source


def test_header_picks_a_known_source_or_the_default() -> None:
    assert ingest_source(None, "api") == "api"
    assert ingest_source(" Backfill ", "api") == "backfill"
    assert ingest_source("files", "batch") == "files"
    with pytest.raises(BadRequest) as caught:
        ingest_source("my-crawler-7", "api")  # would mint a new metric label
    assert caught.value.reason == "bad_ingest_source"


def test_backfill_spends_its_own_bucket_per_document() -> None:
    limiter = RateLimiter(rate=10.0, burst=5)
    admit(limiter, "api", 100)  # live traffic is not counted here
    admit(limiter, "backfill", 3)
    admit(limiter, "backfill", 2)
    with pytest.raises(RateLimited) as caught:
        admit(limiter, "backfill", 1)
    assert caught.value.reason == "backfill_rate_limited" and caught.value.status == 429
    assert 0 < caught.value.retry_after <= 0.1 + 1e-6
    with pytest.raises(TooLarge) as too_big:
        admit(limiter, "backfill", 6)  # could never fit in the bucket
    assert too_big.value.reason == "backfill_batch_too_large"
    admit(RateLimiter(rate=0.0, burst=1), "backfill", 1000)  # 0 = unlimited


def test_rate_limiter_cost_and_wait() -> None:
    limiter = RateLimiter(rate=2.0, burst=4)
    limiter.take("t", now=0.0, cost=4)
    with pytest.raises(RateLimited) as caught:
        limiter.take("t", now=0.5, cost=2)
    assert caught.value.retry_after == pytest.approx(0.5)
    limiter.take("t", now=1.0, cost=2)
