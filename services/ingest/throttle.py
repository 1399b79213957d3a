"""Client-side pacing for `newsflow ingest --rate N`: at most N sends a second, evenly.

A schedule of send slots rather than a token bucket: the client never bursts (the
server's backfill bucket is the one that may allow bursts), and concurrent workers each
reserve the next free slot, so N holds whatever `--concurrency` is.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Pacer:
    rate: float  # sends per second; <= 0 means unpaced
    clock: Callable[[], float] = time.monotonic
    _next: float | None = field(default=None, repr=False)

    def reserve(self) -> float:
        """Seconds the caller must wait before its send (0 when it may go now)."""
        if self.rate <= 0:
            return 0.0
        now = self.clock()
        slot = now if self._next is None or self._next < now else self._next
        self._next = slot + 1.0 / self.rate
        return slot - now
