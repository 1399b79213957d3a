"""Why the ingest service refuses an article; each maps to one HTTP status."""

from services.core.exceptions import NewsflowError


class IngestError(NewsflowError):
    """Root of ingest refusals."""

    status = 400

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class BadRequest(IngestError):
    status = 400


class TooLarge(IngestError):
    status = 413


class UnsupportedMediaType(IngestError):
    status = 415


class Unavailable(IngestError):
    """Kafka did not ack in time: the client should retry later."""

    status = 503
