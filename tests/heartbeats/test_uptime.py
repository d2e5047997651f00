"""Daily uptime: time-weighted from state changes, per UTC day; paused and pre-creation
days say so."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tests.heartbeats.conftest import Heartbeats


async def _days(heartbeats: Heartbeats, heartbeat_id: str, days: int = 3) -> dict[str, dict[str, Any]]:
    response = await heartbeats.api.get(f"/api/v1/heartbeats/{heartbeat_id}/uptime/daily", params={"days": days})
    assert response.status_code == 200, response.text
    return {day["date"]: day for day in response.json()}


def _at(day: int, hour: int) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=UTC)


async def test_uptime_is_the_share_of_each_utc_day_spent_down_across_midnight(heartbeats: Heartbeats) -> None:
    monitor = await heartbeats.create()  # created and pinged at 10:00 on the 10th
    await heartbeats.ping(monitor["uuid"])
    heartbeats.clock.set(_at(10, 23))
    await heartbeats.worker.step()  # down since 11:10, its deadline
    heartbeats.clock.set(_at(11, 1))
    await heartbeats.ping(monitor["uuid"])
    heartbeats.clock.set(_at(11, 12))
    days = await _days(heartbeats, monitor["id"])
    assert days["2026-11-10"]["state"] == "monitored"
    assert days["2026-11-10"]["uptimePercent"] == round(100 * (1 - (12 * 60 + 50) / (14 * 60)), 3)
    assert days["2026-11-10"]["downSeconds"] == (12 * 60 + 50) * 60
    assert days["2026-11-11"]["uptimePercent"] == round(100 * 11 / 12, 3)
    assert days["2026-11-09"] == {
        "date": "2026-11-09",
        "state": "before_creation",
        "uptimePercent": None,
        "downSeconds": 0,
        "pausedSeconds": 0,
        "monitoredSeconds": 0,
    }


async def test_start_pings_are_never_failures_and_pings_are_not_counted(heartbeats: Heartbeats) -> None:
    monitor = await heartbeats.create()
    for _ in range(5):
        await heartbeats.ping(monitor["uuid"], "/start")
        heartbeats.clock.advance(300)
        await heartbeats.ping(monitor["uuid"], "/log")
    heartbeats.clock.advance(60)
    await heartbeats.ping(monitor["uuid"])
    days = await _days(heartbeats, monitor["id"], days=1)
    assert days["2026-11-10"]["uptimePercent"] == 100.0


async def test_paused_time_is_left_out_and_a_fully_paused_day_says_so(heartbeats: Heartbeats) -> None:
    monitor = await heartbeats.create()
    await heartbeats.ping(monitor["uuid"])
    heartbeats.clock.set(_at(10, 12))
    await heartbeats.ping(monitor["uuid"], "/fail")  # down 12:00-14:00, then paused
    heartbeats.clock.set(_at(10, 14))
    await heartbeats.api.post(f"/api/v1/heartbeats/{monitor['id']}/pause")
    heartbeats.clock.set(_at(12, 6))
    await heartbeats.api.post(f"/api/v1/heartbeats/{monitor['id']}/resume")
    heartbeats.clock.set(_at(12, 12))
    days = await _days(heartbeats, monitor["id"])
    assert days["2026-11-10"]["uptimePercent"] == 50.0  # 2 h up, 2 h down, 10 h paused
    assert days["2026-11-10"]["pausedSeconds"] == 10 * 3600
    assert (days["2026-11-11"]["state"], days["2026-11-11"]["uptimePercent"]) == ("paused", None)
    assert days["2026-11-12"]["state"] == "monitored"
    assert days["2026-11-12"]["uptimePercent"] == 100.0
    assert days["2026-11-12"]["monitoredSeconds"] == 6 * 3600


async def test_the_days_parameter_is_validated(heartbeats: Heartbeats) -> None:
    monitor = await heartbeats.create()
    response = await heartbeats.api.get(f"/api/v1/heartbeats/{monitor['id']}/uptime/daily", params={"days": 0})
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "days"
