"""Cron schedules in their own time zone, across the spring and autumn DST changes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.heartbeats.conftest import Heartbeats
from watchkeep.core.clock import FrozenClock, rfc3339, to_ms
from watchkeep.heartbeats.schedule import next_cron_ms


def _utc(*parts: int) -> int:
    return to_ms(datetime(*parts, tzinfo=UTC))  # type: ignore[misc]


def _next(expression: str, timezone: str, after_ms: int) -> str | None:
    return rfc3339(next_cron_ms(expression, timezone, after_ms))


def test_berlin_spring_forward_runs_a_skipped_time_when_the_clock_jumps() -> None:
    # 29 March 2026: 02:00 CET becomes 03:00 CEST; 02:30 does not exist that night.
    after = _utc(2026, 3, 28, 1, 30)  # 02:30 CET on the 28th
    assert _next("30 2 * * *", "Europe/Berlin", after) == "2026-03-29T01:00:00.000Z"  # 03:00 CEST
    assert _next("30 2 * * *", "Europe/Berlin", _utc(2026, 3, 29, 1, 0)) == "2026-03-30T00:30:00.000Z"


def test_berlin_autumn_back_runs_a_repeated_time_once() -> None:
    # 25 October 2026: 03:00 CEST becomes 02:00 CET; 02:30 happens twice.
    first = _utc(2026, 10, 25, 0, 30)  # 02:30 CEST
    assert _next("30 2 * * *", "Europe/Berlin", _utc(2026, 10, 24, 0, 30)) == rfc3339(first)
    assert _next("30 2 * * *", "Europe/Berlin", first) == "2026-10-26T01:30:00.000Z"  # 02:30 CET


def test_new_york_spring_forward_runs_a_skipped_time_when_the_clock_jumps() -> None:
    # 8 March 2026: 02:00 EST becomes 03:00 EDT.
    assert _next("30 2 * * *", "America/New_York", _utc(2026, 3, 7, 7, 30)) == "2026-03-08T07:00:00.000Z"
    assert _next("0 9 * * *", "America/New_York", _utc(2026, 3, 7, 14, 0)) == "2026-03-08T13:00:00.000Z"


def test_new_york_autumn_back_runs_a_repeated_time_once() -> None:
    # 1 November 2026: 02:00 EDT becomes 01:00 EST; 01:30 happens twice.
    first = _utc(2026, 11, 1, 5, 30)  # 01:30 EDT
    assert _next("30 1 * * *", "America/New_York", _utc(2026, 10, 31, 5, 30)) == rfc3339(first)
    assert _next("30 1 * * *", "America/New_York", first) == "2026-11-02T06:30:00.000Z"  # 01:30 EST
    assert _next("0 9 * * *", "America/New_York", _utc(2026, 10, 31, 13, 0)) == "2026-11-01T14:00:00.000Z"


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime(2026, 3, 7, 7, 30, tzinfo=UTC))  # 02:30 EST, the night before DST


async def test_a_cron_monitor_goes_down_grace_after_its_scheduled_time(heartbeats: Heartbeats) -> None:
    monitor = await heartbeats.create(
        kind="cron", cron="30 2 * * *", timezone="America/New_York", periodSeconds=None, graceSeconds=900
    )
    await heartbeats.ping(monitor["uuid"])
    got = await heartbeats.get(monitor["id"])
    assert got["nextDeadlineAt"] == "2026-03-08T07:00:00.000Z"
    heartbeats.clock.set(datetime(2026, 3, 8, 7, 14, 59, tzinfo=UTC))
    await heartbeats.worker.step()
    assert await heartbeats.status(monitor["id"]) == "grace"
    heartbeats.clock.set(datetime(2026, 3, 8, 7, 15, 1, tzinfo=UTC))
    await heartbeats.worker.step()
    assert await heartbeats.status(monitor["id"]) == "down"
    [event] = heartbeats.of_type("heartbeat.deadline_missed")
    assert event.data()["deadline_ms"] == _utc(2026, 3, 8, 7, 15)
