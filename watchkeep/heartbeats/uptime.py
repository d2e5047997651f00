"""Daily uptime, time-weighted from the recorded state changes: the share of each UTC day
the monitor spent down, out of the time it was monitored (not paused, not before it
existed). Pings are never counted."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from watchkeep.heartbeats.pings import uptime_class

DAY_MS = 86_400_000


@dataclass(frozen=True)
class DayUptime:
    date: str
    state: str  # monitored | paused | before_creation
    uptime_percent: float | None
    down_seconds: float
    paused_seconds: float
    monitored_seconds: float


def _segments(created_at: int, flips: Iterable[Mapping[Any, Any]], now_ms: int) -> list[tuple[int, int, str]]:
    """(start, end, class) from creation to now."""
    segments: list[tuple[int, int, str]] = []
    start, current = created_at, "up"
    for flip in flips:
        at = max(int(flip["at"]), created_at)
        if at > start:
            segments.append((start, at, current))
            start = at
        current = uptime_class(flip["to_status"])
    if now_ms > start:
        segments.append((start, now_ms, current))
    return segments


def daily_uptime(created_at: int, flips: Iterable[Mapping[Any, Any]], now_ms: int, days: int) -> list[DayUptime]:
    """The last `days` UTC days, newest first, today up to `now_ms`."""
    segments = _segments(created_at, flips, now_ms)
    today = datetime.fromtimestamp(now_ms / 1000, UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    result: list[DayUptime] = []
    for back in range(days):
        day = today - timedelta(days=back)
        day_start = int(day.timestamp() * 1000)
        day_end = min(day_start + DAY_MS, now_ms)
        spent = {"up": 0, "down": 0, "paused": 0}
        for start, end, kind in segments:
            overlap = min(end, day_end) - max(start, day_start)
            if overlap > 0:
                spent[kind] += overlap
        monitored = spent["up"] + spent["down"]
        if day_end <= created_at:
            state, percent = "before_creation", None
        elif monitored == 0:
            state, percent = "paused", None
        else:
            state, percent = "monitored", round(100.0 * (1 - spent["down"] / monitored), 3)
        result.append(
            DayUptime(
                date=day.date().isoformat(),
                state=state,
                uptime_percent=percent,
                down_seconds=spent["down"] / 1000,
                paused_seconds=spent["paused"] / 1000,
                monitored_seconds=monitored / 1000,
            )
        )
    return result
