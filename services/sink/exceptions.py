"""Errors the sink raises on purpose: one root, `SinkError`.

A `SinkError` raised by a handler becomes one news.dlq record (stage "sink", its
`reason` the cause) and the partition goes on; the HTTP errors below become 503s or a
failed start, never a crash of the stream.
"""

from __future__ import annotations

from services.core.exceptions import NewsflowError


class SinkError(NewsflowError):
    """A message the sink must not store (goes to news.dlq), or a sink failure."""

    reason: str = "sink_error"

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class PartitionUnavailable(SinkError):
    """A local read found its partition closed (a rebalance moved it mid-request): 503."""

    def __init__(self, message: str) -> None:
        super().__init__("partition_unavailable", message)


class ServerStartError(SinkError):
    """The HTTP server could not bind its port (in use, bad address)."""

    def __init__(self, message: str) -> None:
        super().__init__("server_start", message)
