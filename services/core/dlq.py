"""Dead-letter records: what a stage could not handle, why, and the original bytes."""

from __future__ import annotations

import base64
import re

from services.core.clock import utc_iso
from services.core.models import DlqError, DlqRecord

_INGEST_ID = re.compile(rb'"ingest"\s*:\s*\{[^{}]*?"id"\s*:\s*"([^"\\]{1,100})"')


def reason_of(exc: BaseException) -> str:
    """Machine-readable cause: the error's `reason` attribute or its class name."""
    return str(getattr(exc, "reason", None) or type(exc).__name__)


def dlq_record(
    stage: str,
    exc: BaseException,
    original: bytes | None,
    *,
    topic: str | None = None,
    partition: int | None = None,
    offset: int | None = None,
    key: bytes | None = None,
) -> DlqRecord:
    """Build the record; best-effort ingest id so `newsflow audit` can still trace it."""
    original = original or b""
    match = _INGEST_ID.search(original[:65536])
    return DlqRecord(
        stage=stage,
        error=DlqError(type=reason_of(exc), message=str(exc)[:2000] or type(exc).__name__),
        failed_at=utc_iso(),
        topic=topic,
        partition=partition,
        offset=offset,
        key=key.decode("utf-8", "replace") if key else None,
        # the id is whatever bytes the failed message held: never let them raise here
        # (run_handler calls this for every failure, so an exception would stop the partition)
        ingest_id=match.group(1).decode("utf-8", "replace") if match else None,
        original_b64=base64.b64encode(original).decode("ascii"),
    )
