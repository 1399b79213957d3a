"""Bearer tokens and per-token rate limits."""

import pytest
from pydantic import SecretStr

from services.ingest.auth import RateLimited, RateLimiter, Unauthorized, check_token

TOKENS = [SecretStr("alpha-token"), SecretStr("beta-token")]


def test_each_token_has_its_own_identity() -> None:
    assert check_token("Bearer alpha-token", TOKENS) == "token-0"
    assert check_token("Bearer beta-token", TOKENS) == "token-1"


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        (None, "missing_token"),
        ("Basic abc", "missing_token"),
        ("Bearer alpha", "bad_token"),
        ("Bearer alpha-token-x", "bad_token"),
    ],
)
def test_refusals_name_the_reason(header: str | None, reason: str) -> None:
    with pytest.raises(Unauthorized) as caught:
        check_token(header, TOKENS)
    assert caught.value.reason == reason and caught.value.status == 401


def test_token_bucket_allows_burst_then_refuses_then_refills() -> None:
    limiter = RateLimiter(rate=2.0, burst=3)
    for _ in range(3):
        limiter.take("a", now=100.0)
    with pytest.raises(RateLimited) as caught:
        limiter.take("a", now=100.0)
    assert caught.value.status == 429
    limiter.take("b", now=100.0)  # other tokens are not affected
    limiter.take("a", now=100.5)  # half a second at 2/s refills one request


def test_zero_rate_means_unlimited() -> None:
    limiter = RateLimiter(rate=0.0, burst=1)
    for _ in range(1000):
        limiter.take("a", now=1.0)
