"""Errors the normalizer raises on purpose.

Only input that cannot become an article raises; anything recoverable becomes an
`extraction.warnings` entry instead. Each error carries a short machine-readable
`reason`, which the streaming app puts on the DLQ record as the cause, so operators can
count and filter failures without parsing messages.
"""

from __future__ import annotations

from services.core.exceptions import NewsflowError


class NormalizerError(NewsflowError):
    """Root of every error `normalize()` raises: the raw article cannot become an article."""

    reason: str = "normalizer_error"

    def __init__(self, message: str, *, reason: str | None = None) -> None:
        super().__init__(message)
        if reason is not None:
            self.reason = reason

    def __str__(self) -> str:  # "reason: message" reads well in logs and DLQ records
        return f"{self.reason}: {super().__str__()}"


class EmptyInput(NormalizerError):
    """Content is empty or whitespace only."""

    reason = "empty_input"


class UndecodableInput(NormalizerError):
    """Content is binary or so badly decoded that it is not text."""

    reason = "undecodable_input"


class NotAnArticle(NormalizerError):
    """Content parsed, but holds no article text (e.g. an empty page, a bare feed)."""

    reason = "not_an_article"


class UnsupportedFormat(NormalizerError):
    """The declared format cannot be handled (e.g. JSON without any text field)."""

    reason = "unsupported_format"
