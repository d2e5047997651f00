"""Parsing the RFC 3339 times agents send."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache

from watchkeep.core.clock import to_ms
from watchkeep.protocol.ingest import PayloadError


def parse_ms(value: str, field: str) -> int:
    """`2026-04-15T12:00:00Z` → epoch milliseconds; an impossible date names `field`."""
    ms = _parse(value)
    if ms is None:
        raise PayloadError(f"{field}: {value!r} is not a valid date-time", field)
    return ms


def parsed_ms(value: str) -> int | None:
    """`parse_ms` without the error: None for an impossible date."""
    return _parse(value)


@lru_cache(maxsize=4096)
def _parse(value: str) -> int | None:
    # Agents repeat the same check times across payloads: remembering them is cheap.
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return to_ms(when)
