"""Errors the deduper raises on purpose.

The deduper's logic is total over valid articles: anything it raises means the input or
the state is not what the contract says. The streaming app turns these into DLQ records
(`reason` becomes the DLQ cause), so a bad message never stops a partition.
"""

from __future__ import annotations

from services.core.exceptions import NewsflowError


class DeduperError(NewsflowError):
    """Root of every error the deduper raises on purpose."""

    reason: str = "deduper_error"

    def __init__(self, message: str, *, reason: str | None = None) -> None:
        super().__init__(message)
        if reason is not None:
            self.reason = reason

    def __str__(self) -> str:
        return f"{self.reason}: {super().__str__()}"


class BadState(DeduperError):
    """A stored index value does not decode (corrupt or written by an incompatible version)."""

    reason = "bad_state"


class BadParams(DeduperError):
    """Settings that cannot work together (e.g. more LSH rows than permutations)."""

    reason = "bad_params"


class CorpusError(DeduperError):
    """The evaluation corpus is missing or unreadable."""

    reason = "corpus_error"
