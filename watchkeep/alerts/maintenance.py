"""When a maintenance window is in force. A one-off window runs from `starts_at` to
`ends_at`; a recurring one opens at each time its cron expression names, in its own time
zone (so it follows daylight saving changes), and stays open `duration_seconds`."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cronsim import CronSim, CronSimError

from watchkeep.core.clock import from_ms
from watchkeep.core.errors import validation_error


def check_timezone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise validation_error(f"unknown time zone {name!r}", "timezone") from None


def check_cron(expression: str) -> None:
    try:
        CronSim(expression, from_ms(0))
    except CronSimError as exc:
        raise validation_error(f"invalid cron expression: {exc}", "cron") from None


def window_active(window: dict[str, Any] | Any, now_ms: int) -> bool:
    starts, ends = window["starts_at"], window["ends_at"]
    if window["cron"] is None:
        return starts is not None and ends is not None and starts <= now_ms < ends
    if (starts is not None and now_ms < starts) or (ends is not None and now_ms >= ends):
        return False
    zone = ZoneInfo(window["timezone"])
    duration = timedelta(seconds=window["duration_seconds"])
    now = from_ms(now_ms)
    opened = next(CronSim(window["cron"], (now - duration).astimezone(zone)))
    return opened <= now


def occurrence(window: dict[str, Any] | Any, now_ms: int) -> tuple[int, int] | None:
    """(opens, closes) of the window's occurrence open at `now_ms`, else of its next one;
    None when it will not open again."""
    starts, ends = window["starts_at"], window["ends_at"]
    if window["cron"] is None:
        if starts is None or ends is None or now_ms >= ends:
            return None
        return starts, ends
    if ends is not None and now_ms >= ends:
        return None
    zone = ZoneInfo(window["timezone"])
    duration = timedelta(seconds=window["duration_seconds"])
    after = from_ms(max(now_ms, starts or now_ms)) - duration
    opened = next(CronSim(window["cron"], after.astimezone(zone)))
    opens = int(opened.timestamp() * 1000)
    if ends is not None and opens >= ends:
        return None
    return opens, opens + int(duration.total_seconds() * 1000)
