"""Every state of a monitor and every change between them, through the public routes."""

from __future__ import annotations

from tests.heartbeats.conftest import BOTH_STORES, Heartbeats
from watchkeep.core.events import HeartbeatDeadlineMissed, HeartbeatFailed, HeartbeatRecovered


async def test_a_new_monitor_is_new_and_has_no_deadline(heartbeats: Heartbeats) -> None:
    monitor = await heartbeats.create()
    heartbeats.clock.advance(30 * 86400)
    assert await heartbeats.worker.step() is False
    got = await heartbeats.get(monitor["id"])
    assert got["status"] == "new"
    assert got["nextDeadlineAt"] is None


async def test_a_ping_makes_it_up_with_the_next_deadline_one_period_later(heartbeats: Heartbeats) -> None:
    monitor = await heartbeats.create()
    assert (await heartbeats.ping(monitor["uuid"])).text == "OK"
    got = await heartbeats.get(monitor["id"])
    assert got["status"] == "up"
    assert got["lastPingAt"] == "2026-11-10T10:00:00.000Z"
    assert got["nextDeadlineAt"] == "2026-11-10T11:00:00.000Z"


async def test_a_late_monitor_is_in_grace_until_the_grace_period_ends(heartbeats: Heartbeats) -> None:
    monitor = await heartbeats.create()
    await heartbeats.ping(monitor["uuid"])
    heartbeats.clock.advance(3600)
    await heartbeats.worker.step()
    assert await heartbeats.status(monitor["id"]) == "grace"
    heartbeats.clock.advance(599)
    await heartbeats.worker.step()
    assert await heartbeats.status(monitor["id"]) == "grace"
    assert heartbeats.of_type("heartbeat.deadline_missed") == []


@BOTH_STORES
async def test_a_missed_deadline_goes_down_dated_at_the_deadline_itself(heartbeats: Heartbeats) -> None:
    monitor = await heartbeats.create()
    await heartbeats.ping(monitor["uuid"])
    deadline = heartbeats.clock.now_ms() + (3600 + 600) * 1000
    heartbeats.clock.advance(3 * 3600)  # noticed two hours late
    assert await heartbeats.worker.step() is False
    assert await heartbeats.status(monitor["id"]) == "down"
    [event] = heartbeats.of_type("heartbeat.deadline_missed")
    assert isinstance(event, HeartbeatDeadlineMissed)
    assert (event.heartbeat_id, event.name, event.reason) == (monitor["id"], "backup", "no ping")
    assert event.deadline_ms == event.at_ms == deadline
    assert event.during_outage is False
    heartbeats.clock.advance(3600)
    await heartbeats.worker.step()
    assert len(heartbeats.of_type("heartbeat.deadline_missed")) == 1


async def test_a_ping_on_a_down_monitor_recovers_it(heartbeats: Heartbeats) -> None:
    monitor = await heartbeats.create()
    await heartbeats.ping(monitor["uuid"])
    heartbeats.clock.advance(5000)
    await heartbeats.worker.step()
    await heartbeats.ping(monitor["uuid"])
    assert await heartbeats.status(monitor["id"]) == "up"
    [event] = heartbeats.of_type("heartbeat.recovered")
    assert isinstance(event, HeartbeatRecovered)
    assert event.heartbeat_id == monitor["id"]
    assert event.at_ms == heartbeats.clock.now_ms()


async def test_a_start_ping_makes_it_started(heartbeats: Heartbeats) -> None:
    monitor = await heartbeats.create()
    await heartbeats.ping(monitor["uuid"], "/start")
    assert await heartbeats.status(monitor["id"]) == "started"
    heartbeats.clock.advance(120)
    await heartbeats.ping(monitor["uuid"])
    got = await heartbeats.get(monitor["id"])
    assert got["status"] == "up"
    assert got["lastDurationMs"] == 120_000


@BOTH_STORES
async def test_a_start_without_a_finish_within_the_grace_period_goes_down(heartbeats: Heartbeats) -> None:
    monitor = await heartbeats.create()
    await heartbeats.ping(monitor["uuid"])
    heartbeats.clock.advance(60)
    await heartbeats.ping(monitor["uuid"], "/start")
    started = heartbeats.clock.now_ms()
    heartbeats.clock.advance(599)
    await heartbeats.worker.step()
    assert await heartbeats.status(monitor["id"]) == "started"
    heartbeats.clock.advance(2)
    await heartbeats.worker.step()
    assert await heartbeats.status(monitor["id"]) == "down"
    [event] = heartbeats.of_type("heartbeat.deadline_missed")
    assert isinstance(event, HeartbeatDeadlineMissed)
    assert event.reason == "started, never finished"
    assert event.deadline_ms == started + 600_000
    [run] = (await heartbeats.list_of(monitor["id"], "executions"))[:1]
    assert run["outcome"] == "timeout"


@BOTH_STORES
async def test_a_failure_ping_goes_down_at_once_with_its_exit_code(heartbeats: Heartbeats) -> None:
    monitor = await heartbeats.create()
    await heartbeats.ping(monitor["uuid"])
    await heartbeats.ping(monitor["uuid"], "/3")
    got = await heartbeats.get(monitor["id"])
    assert (got["status"], got["lastExitCode"]) == ("down", 3)
    [event] = heartbeats.of_type("heartbeat.failed")
    assert isinstance(event, HeartbeatFailed)
    assert (event.heartbeat_id, event.name, event.exit_code) == (monitor["id"], "backup", 3)
    assert event.at_ms == heartbeats.clock.now_ms()
    await heartbeats.ping(monitor["uuid"], "/fail")
    assert len(heartbeats.of_type("heartbeat.failed")) == 1


async def test_a_log_ping_never_changes_the_state(heartbeats: Heartbeats) -> None:
    monitor = await heartbeats.create()
    await heartbeats.ping(monitor["uuid"], "/log", "POST", content=b"halfway")
    assert await heartbeats.status(monitor["id"]) == "new"
    await heartbeats.ping(monitor["uuid"], "/fail")
    await heartbeats.ping(monitor["uuid"], "/log")
    got = await heartbeats.get(monitor["id"])
    assert got["status"] == "down"
    [log] = heartbeats.of_type("heartbeat.pinged")[-1:]
    assert log.data()["kind"] == "log"


async def test_pause_stops_deadline_checking(heartbeats: Heartbeats) -> None:
    monitor = await heartbeats.create()
    await heartbeats.ping(monitor["uuid"])
    paused = await heartbeats.api.post(f"/api/v1/heartbeats/{monitor['id']}/pause")
    assert paused.status_code == 200
    assert paused.json()["status"] == "paused"
    assert paused.json()["nextDeadlineAt"] is None
    heartbeats.clock.advance(86400)
    await heartbeats.worker.step()
    assert await heartbeats.status(monitor["id"]) == "paused"
    assert heartbeats.of_type("heartbeat.deadline_missed") == []


async def test_pausing_clears_a_running_start(heartbeats: Heartbeats) -> None:
    monitor = await heartbeats.create()
    await heartbeats.ping(monitor["uuid"], "/start")
    await heartbeats.api.post(f"/api/v1/heartbeats/{monitor['id']}/pause")
    resumed = await heartbeats.api.post(f"/api/v1/heartbeats/{monitor['id']}/resume")
    assert resumed.json()["status"] == "up"
    heartbeats.clock.advance(601)  # the old start's grace period has passed
    await heartbeats.worker.step()
    assert await heartbeats.status(monitor["id"]) == "up"


async def test_resume_checks_deadlines_again_from_now(heartbeats: Heartbeats) -> None:
    monitor = await heartbeats.create()
    await heartbeats.ping(monitor["uuid"])
    await heartbeats.api.post(f"/api/v1/heartbeats/{monitor['id']}/pause")
    heartbeats.clock.advance(86400)
    resumed = await heartbeats.api.post(f"/api/v1/heartbeats/{monitor['id']}/resume")
    assert resumed.status_code == 200
    assert resumed.json()["nextDeadlineAt"] == "2026-11-11T11:00:00.000Z"
    heartbeats.clock.advance(4201)
    await heartbeats.worker.step()
    assert await heartbeats.status(monitor["id"]) == "down"


async def test_resuming_a_never_pinged_monitor_makes_it_new_again(heartbeats: Heartbeats) -> None:
    monitor = await heartbeats.create()
    await heartbeats.api.post(f"/api/v1/heartbeats/{monitor['id']}/pause")
    resumed = await heartbeats.api.post(f"/api/v1/heartbeats/{monitor['id']}/resume")
    assert resumed.json()["status"] == "new"


async def test_resuming_a_monitor_that_is_not_paused_is_a_conflict(heartbeats: Heartbeats) -> None:
    monitor = await heartbeats.create()
    response = await heartbeats.api.post(f"/api/v1/heartbeats/{monitor['id']}/resume")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"


async def test_a_ping_on_a_paused_monitor_resumes_it(heartbeats: Heartbeats) -> None:
    monitor = await heartbeats.create()
    await heartbeats.api.post(f"/api/v1/heartbeats/{monitor['id']}/pause")
    await heartbeats.ping(monitor["uuid"])
    got = await heartbeats.get(monitor["id"])
    assert got["status"] == "up"
    assert got["nextDeadlineAt"] == "2026-11-10T11:00:00.000Z"


async def test_with_manual_resume_a_ping_on_a_paused_monitor_is_recorded_but_ignored(heartbeats: Heartbeats) -> None:
    monitor = await heartbeats.create(manualResume=True)
    await heartbeats.api.post(f"/api/v1/heartbeats/{monitor['id']}/pause")
    assert (await heartbeats.ping(monitor["uuid"])).text == "OK"
    assert await heartbeats.status(monitor["id"]) == "paused"
    [ping] = await heartbeats.list_of(monitor["id"], "pings")
    assert ping["ignored"] is True
    assert heartbeats.of_type("heartbeat.pinged") == []


async def test_a_ping_in_grace_moves_the_deadline_on(
    heartbeats: Heartbeats,
) -> None:
    monitor = await heartbeats.create()
    await heartbeats.ping(monitor["uuid"])
    heartbeats.clock.advance(3900)  # in grace
    await heartbeats.ping(monitor["uuid"])
    heartbeats.clock.advance(3900)
    await heartbeats.worker.step()
    assert await heartbeats.status(monitor["id"]) == "grace"
    assert heartbeats.of_type("heartbeat.deadline_missed") == []
