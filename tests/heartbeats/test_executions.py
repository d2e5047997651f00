"""Executions: one per run, from start to finish, paired by rid or by the latest open start."""

from __future__ import annotations

from tests.heartbeats.conftest import BOTH_STORES, Heartbeats

RID_A = "0d6c1bb4-3c4e-4d8e-9d3a-6c1e8a0f0a01"
RID_B = "0d6c1bb4-3c4e-4d8e-9d3a-6c1e8a0f0a02"


@BOTH_STORES
async def test_a_start_and_its_finish_make_one_execution_with_duration(heartbeats: Heartbeats) -> None:
    monitor = await heartbeats.create()
    await heartbeats.ping(monitor["uuid"], "/start")
    [running] = await heartbeats.list_of(monitor["id"], "executions")
    assert (running["outcome"], running["finishedAt"]) == ("in_progress", None)
    heartbeats.clock.advance(42.5)
    await heartbeats.ping(monitor["uuid"], "/0")
    [run] = await heartbeats.list_of(monitor["id"], "executions")
    assert run["id"] == running["id"]
    assert (run["outcome"], run["durationMs"], run["exitCode"]) == ("success", 42_500, 0)
    assert run["startedAt"] == "2026-11-10T10:00:00.000Z"


@BOTH_STORES
async def test_runs_are_paired_by_rid(heartbeats: Heartbeats) -> None:
    monitor = await heartbeats.create()
    await heartbeats.ping(monitor["uuid"], "/start", params={"rid": RID_A})
    heartbeats.clock.advance(10)
    await heartbeats.ping(monitor["uuid"], "/start", params={"rid": RID_B})
    heartbeats.clock.advance(10)
    await heartbeats.ping(monitor["uuid"], "/7", params={"rid": RID_A.upper()})
    runs = {run["rid"]: run for run in await heartbeats.list_of(monitor["id"], "executions")}
    assert (runs[RID_A]["outcome"], runs[RID_A]["durationMs"], runs[RID_A]["exitCode"]) == ("failure", 20_000, 7)
    assert runs[RID_B]["outcome"] == "in_progress"
    await heartbeats.ping(monitor["uuid"], params={"rid": RID_B})
    runs = {run["rid"]: run for run in await heartbeats.list_of(monitor["id"], "executions")}
    assert (runs[RID_B]["outcome"], runs[RID_B]["durationMs"]) == ("success", 10_000)


async def test_a_finish_whose_rid_matches_no_start_is_a_run_of_its_own(heartbeats: Heartbeats) -> None:
    monitor = await heartbeats.create()
    await heartbeats.ping(monitor["uuid"], "/start", params={"rid": RID_A})
    await heartbeats.ping(monitor["uuid"], params={"rid": RID_B})
    runs = await heartbeats.list_of(monitor["id"], "executions")
    assert [(r["rid"], r["outcome"], r["startedAt"] is None) for r in runs] == [
        (RID_B, "success", True),
        (RID_A, "in_progress", False),
    ]
    assert (await heartbeats.get(monitor["id"]))["lastDurationMs"] is None


async def test_without_rid_a_finish_closes_the_latest_open_start(heartbeats: Heartbeats) -> None:
    monitor = await heartbeats.create()
    await heartbeats.ping(monitor["uuid"], "/start")
    heartbeats.clock.advance(5)
    await heartbeats.ping(monitor["uuid"], "/start")
    heartbeats.clock.advance(5)
    await heartbeats.ping(monitor["uuid"], "/fail")
    newest, oldest = await heartbeats.list_of(monitor["id"], "executions")
    assert (newest["outcome"], newest["durationMs"]) == ("failure", 5_000)
    assert oldest["outcome"] == "in_progress"


async def test_a_ping_without_a_start_is_a_run_without_duration(heartbeats: Heartbeats) -> None:
    monitor = await heartbeats.create()
    await heartbeats.ping(monitor["uuid"])
    [run] = await heartbeats.list_of(monitor["id"], "executions")
    assert (run["outcome"], run["startedAt"], run["durationMs"]) == ("success", None, None)
    assert run["finishedAt"] == "2026-11-10T10:00:00.000Z"


async def test_a_log_ping_is_not_a_run(heartbeats: Heartbeats) -> None:
    monitor = await heartbeats.create()
    await heartbeats.ping(monitor["uuid"], "/log")
    assert await heartbeats.list_of(monitor["id"], "executions") == []
