"""Timestamps in the one format the contract uses: RFC 3339, UTC, `Z` suffix."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_iso(moment: datetime | None = None) -> str:
    moment = (moment or datetime.now(UTC)).astimezone(UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_utc(text: str) -> datetime:
    """Inverse of utc_iso (also takes explicit offsets)."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)
