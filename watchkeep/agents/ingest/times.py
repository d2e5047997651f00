"""Parsing the RFC 3339 times agents send."""

from __future__ import annotations

from datetime import UTC, datetime

from watchkeep.core.clock import to_ms
from watchkeep.protocol.ingest import PayloadError


def parse_ms(value: str, field: str) -> int:
    """`2026-04-15T12:00:00Z` → epoch milliseconds; an impossible date names `field`."""
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise PayloadError(f"{field}: {value!r} is not a valid date-time", field) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return to_ms(when)
