"""When to poll next and how long to wait before a retry: pure, with the RNG passed in.

Jitter keeps many feeds (and many ingest replicas) from polling in lock-step and
hammering one publisher at the same second. A failing feed backs off exponentially
(up to `max_factor` times its interval) so a dead site is not polled at full rate;
one good poll resets it. Retries inside one poll use "equal jitter" backoff: at least
half the nominal wait, so a retry never fires immediately after a timeout.
"""

from __future__ import annotations

import random


def jittered(seconds: float, jitter: float, rng: random.Random) -> float:
    """`seconds` spread by ±`jitter` (a fraction, 0.1 = ±10 %)."""
    return max(0.0, seconds * (1.0 + rng.uniform(-jitter, jitter)))


def first_delay(interval: float, jitter: float, rng: random.Random) -> float:
    """Stagger the first polls after start-up over `jitter * interval` seconds."""
    return rng.uniform(0.0, max(0.0, jitter * interval))


def poll_delay(
    interval: float, failures: int, jitter: float, rng: random.Random, max_factor: float = 8.0
) -> float:
    """Delay until the next poll after `failures` consecutive failed polls (0 = last one ok)."""
    factor = min(float(2 ** min(failures, 30)), max_factor)
    return jittered(interval * factor, jitter, rng)


def retry_delay(attempt: int, base: float, cap: float, rng: random.Random) -> float:
    """Wait before retry number `attempt` (0-based): equal-jitter exponential backoff."""
    nominal = min(cap, base * 2 ** min(attempt, 30))
    return nominal / 2 + rng.uniform(0.0, nominal / 2)
