"""Schedules and derived status: pure functions of a monitor's stored facts and `now`."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cronsim import CronSim, CronSimError

from watchkeep.core.errors import WatchkeepError, validation_error

MIN_SECONDS = 60
MAX_SECONDS = 365 * 24 * 3600


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise validation_error(f"timezone: {name!r} is not an IANA time zone", "timezone") from exc


def check_cron(expression: str, timezone: str) -> None:
    """Raise VALIDATION_ERROR naming `cron` unless the expression has five valid fields
    and comes round again."""
    if len(expression.split()) != 5:
        raise validation_error("cron: expected 5 fields (minute hour day month weekday)", "cron")
    try:
        next(CronSim(expression, datetime.now(zone(timezone))))
    except CronSimError as exc:
        raise validation_error(f"cron: {exc}", "cron") from exc
    except (StopIteration, WatchkeepError):
        raise
    except Exception as exc:  # cronsim reports some impossible dates as other errors
        raise validation_error(f"cron: {exc}", "cron") from exc


def next_cron_ms(expression: str, timezone: str, after_ms: int) -> int:
    """The first time strictly after `after_ms` the expression matches, in its time zone:
    a time skipped by a spring-forward change runs when the clock jumps, an hour repeated in
    autumn runs once (at its first occurrence)."""
    tz = ZoneInfo(timezone)
    start = datetime.fromtimestamp(after_ms / 1000, UTC).astimezone(tz)
    for candidate in CronSim(expression, start):
        ms = int(candidate.timestamp() * 1000)
        if ms > after_ms:
            return ms
    raise ValueError("cron expression never matches")  # pragma: no cover - iterator is endless


def due_after(monitor: Mapping[Any, Any], at_ms: int) -> int:
    """When the next ping is expected, after a ping at `at_ms`."""
    if monitor["kind"] == "cron":
        return next_cron_ms(monitor["cron"], monitor["timezone"], at_ms)
    return at_ms + int(monitor["period_seconds"]) * 1000


def armed_deadlines(monitor: Mapping[Any, Any], at_ms: int) -> tuple[int, int]:
    """(next_deadline_at, down_at) after a successful ping at `at_ms`."""
    due = due_after(monitor, at_ms)
    return due, due + int(monitor["grace_seconds"]) * 1000


def display_status(monitor: Mapping[Any, Any], now_ms: int) -> str:
    """The status clients see: the stored one, or `grace` once the next ping is late, or
    `down` when the deadline has passed and the worker has yet to record it."""
    status: str = monitor["status"]
    down_at = monitor["down_at"]
    if status in ("up", "started") and down_at is not None and now_ms >= down_at:
        return "down"
    due = monitor["next_deadline_at"]
    if status == "up" and due is not None and now_ms >= due:
        return "grace"
    return status
