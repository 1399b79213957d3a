"""Optional bearer-token auth and per-token rate limits for the ingest API.

Tokens are compared in constant time (hmac.compare_digest) against every configured
token, so response timing does not leak how much of a guess was right. Limits are a
token bucket per token: bursts up to `burst`, sustained `rate` requests per second.
"""

from __future__ import annotations

import hmac
import time
from dataclasses import dataclass, field

from pydantic import SecretStr

from services.ingest.exceptions import IngestError


class Unauthorized(IngestError):
    status = 401


class RateLimited(IngestError):
    status = 429

    def __init__(self, reason: str, message: str, retry_after: float = 5.0) -> None:
        super().__init__(reason, message)
        self.retry_after = retry_after  # seconds until the bucket holds enough again


def check_token(header: str | None, tokens: list[SecretStr]) -> str:
    """The matching token's index as its identity; raises Unauthorized."""
    if not header or not header.startswith("Bearer "):
        raise Unauthorized("missing_token", "send Authorization: Bearer <token>")
    given = header.removeprefix("Bearer ").strip().encode()
    match = None
    for index, token in enumerate(tokens):  # no early exit: constant work per request
        if hmac.compare_digest(given, token.get_secret_value().encode()):
            match = index
    if match is None:
        raise Unauthorized("bad_token", "token not accepted")
    return f"token-{match}"


@dataclass
class _Bucket:
    tokens: float
    updated: float


@dataclass
class RateLimiter:
    rate: float
    burst: int
    _buckets: dict[str, _Bucket] = field(default_factory=dict)

    def take(
        self, who: str, now: float | None = None, cost: float = 1.0, reason: str = "rate_limited"
    ) -> None:
        """Spend `cost` requests for `who` or raise RateLimited with the wait in the reason."""
        if self.rate <= 0:
            return
        now = time.monotonic() if now is None else now
        bucket = self._buckets.setdefault(who, _Bucket(float(self.burst), now))
        bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.updated) * self.rate)
        bucket.updated = now
        if bucket.tokens < cost:
            wait = (cost - bucket.tokens) / self.rate
            raise RateLimited(reason, f"rate limit exceeded; retry in {wait:.1f}s", retry_after=wait)
        bucket.tokens -= cost
