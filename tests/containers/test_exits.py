"""Exits and restart loops of agent-reported containers: the exit code from the agent's field
or Docker's status text, completed or failed, restart loops counted from the growth of the
restart count (a running → running report included), the label's threshold, and the alerts
raised and resolved. These touch SQL only: they run on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

from tests.agents.support import bearer, create_agent
from tests.support.hub import RunningHub
from tests.support.polling import eventually
from watchkeep.containers.service import ContainerService
from watchkeep.core.clock import FrozenClock, rfc3339
from watchkeep.core.events.log import events_after

StartHub = Callable[..., AbstractAsyncContextManager[RunningHub]]


def _container(cid: str, name: str, state: str, status: str | None = None, **labels: str) -> dict[str, Any]:
    return {
        "id": cid,
        "name": name,
        "image": "app:1",
        "imageId": "sha256:1",
        "state": state,
        "status": status or state,
        "created": 1,
        "labels": labels,
    }


async def _report(
    hub: RunningHub, agent: dict[str, Any], clock: FrozenClock, containers: list[dict[str, Any]], **extra: Any
) -> None:
    payload = {"timestamp": rfc3339(clock.now_ms()), "containers": containers, **extra}
    response = await hub.client().post(
        "/api/metrics/ingest",
        content=json.dumps(payload).encode(),
        headers={**bearer(agent["token"]), "Content-Type": "application/json"},
    )
    assert response.status_code == 200, response.text


async def _only(hub: RunningHub) -> str:
    items = (await hub.admin.get("/api/v1/containers")).json()["items"]
    assert len(items) == 1
    assert items[0]["source"] == "agent"
    return str(items[0]["id"])


async def _transitions(hub: RunningHub, public_id: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = (await hub.admin.get(f"/api/v1/containers/{public_id}/transitions")).json()["items"]
    return items[::-1]


async def _alert_statuses(hub: RunningHub, public_id: str, alert_type: str) -> list[str]:
    params = {"entityType": "container", "entityId": public_id}
    items = (await hub.admin.get("/api/v1/alerts", params=params)).json()["items"]
    return [item["status"] for item in items if item["type"] == alert_type]


async def _restart_alerts(hub: RunningHub) -> list[Any]:
    async with hub.hub.store.read() as conn:
        found, _ = await events_after(conn, 0, 1000)
    return [e for e in found if e.type == "container.restart_alert"]


async def test_the_exit_code_comes_from_the_status_text_and_a_stop_signal_completes(
    start_hub: StartHub, clock: FrozenClock
) -> None:
    async with start_hub(clock=clock) as hub:
        agent = await create_agent(hub)
        await _report(hub, agent, clock, [_container("c1", "api", "running")])
        public_id = await _only(hub)
        clock.advance(10)
        await _report(hub, agent, clock, [_container("c1", "api", "exited", "Exited (143) 2 seconds ago")])
        clock.advance(10)
        await _report(hub, agent, clock, [_container("c1", "api", "running", "Up 1 second")])
        clock.advance(10)
        await _report(hub, agent, clock, [_container("c1", "api", "exited", "Exited (2) 1 second ago")])
        exits = [t for t in await _transitions(hub, public_id) if t["state"] == "exited"]
        assert [(t["exitCode"], t["outcome"], t["logTail"]) for t in exits] == [
            (143, "completed", None),
            (2, "failed", None),
        ]
        await eventually(lambda: _alert_statuses(hub, public_id, "container_exited"), "the failed exit's alert")
        assert await _alert_statuses(hub, public_id, "container_exited") == ["active"]


async def test_the_agents_exit_fields_win_and_an_oom_kill_fails_whatever_the_code(
    start_hub: StartHub, clock: FrozenClock
) -> None:
    async with start_hub(clock=clock) as hub:
        agent = await create_agent(hub)
        await _report(hub, agent, clock, [_container("c1", "api", "running")])
        public_id = await _only(hub)
        clock.advance(10)
        oom = {"containerName": "api", "state": "exited", "exitCode": 137, "oomKilled": True}
        oom["finishedAt"] = rfc3339(clock.now_ms())
        await _report(hub, agent, clock, [_container("c1", "api", "exited", "Exited (1) now")], services=[oom])
        exited = (await _transitions(hub, public_id))[-1]
        assert (exited["exitCode"], exited["oomKilled"], exited["outcome"]) == (137, True, "failed")

        async def alert() -> list[dict[str, Any]]:
            params = {"entityType": "container", "entityId": public_id}
            return list((await hub.admin.get("/api/v1/alerts", params=params)).json()["items"])

        raised = (await eventually(alert, "the alert"))[0]
        assert raised["details"]["oomKilled"] is True and raised["details"]["exitCode"] == 137
        # Running again resolves it
        clock.advance(10)
        await _report(hub, agent, clock, [_container("c1", "api", "running")])

        async def resolved() -> bool:
            return await _alert_statuses(hub, public_id, "container_exited") == ["resolved"]

        await eventually(resolved, "the alert resolved")


async def test_a_first_report_of_an_exited_container_is_no_exit(start_hub: StartHub, clock: FrozenClock) -> None:
    async with start_hub(clock=clock) as hub:
        agent = await create_agent(hub)
        await _report(hub, agent, clock, [_container("c1", "old", "exited", "Exited (1) 3 days ago")])
        public_id = await _only(hub)
        (first,) = await _transitions(hub, public_id)
        assert (first["state"], first["exitCode"], first["outcome"]) == ("exited", None, None)


async def test_growing_restart_counts_make_a_loop_that_ends_when_the_window_passes(
    start_hub: StartHub, clock: FrozenClock
) -> None:
    async with start_hub(clock=clock) as hub:
        agent = await create_agent(hub)

        async def report(restarts: int) -> None:
            stats = [{"containerName": "api", "state": "running", "restartCount": restarts}]
            await _report(hub, agent, clock, [_container("c1", "api", "running")], services=stats)

        await report(0)
        public_id = await _only(hub)
        clock.advance(60)
        await report(2)  # two restarts between reports, the container running each time
        assert await _restart_alerts(hub) == []
        clock.advance(60)
        await report(3)
        (began,) = await _restart_alerts(hub)
        assert (began.firing, began.restarts, began.threshold, began.window_seconds) == (True, 3, 3, 600)
        restarted = [t for t in await _transitions(hub, public_id) if t["restarts"]]
        assert [(t["previousState"], t["state"], t["restarts"]) for t in restarted] == [
            ("running", "running", 2),
            ("running", "running", 1),
        ]
        await eventually(lambda: _alert_statuses(hub, public_id, "container_restart_loop"), "the alert")
        loop = (await hub.admin.get(f"/api/v1/containers/{public_id}")).json()["restartLoop"]
        assert (loop["restarts"], loop["threshold"], loop["windowSeconds"]) == (3, 3, 600)

        # 9 min after the first two restarts the window still holds three: nothing ends
        clock.advance(7 * 60)
        assert await ContainerService(hub.hub).check_restart_loops() is False
        # Once those two leave the window, one is left: the loop ends
        clock.advance(2 * 60)
        assert await ContainerService(hub.hub).check_restart_loops() is True
        ended = (await _restart_alerts(hub))[-1]
        assert (ended.firing, ended.restarts) == (False, 1)
        assert (await hub.admin.get(f"/api/v1/containers/{public_id}")).json()["restartLoop"] is None

        async def resolved() -> bool:
            return await _alert_statuses(hub, public_id, "container_restart_loop") == ["resolved"]

        await eventually(resolved, "the alert resolved")


async def test_the_label_sets_the_threshold_and_removal_ends_the_loop(start_hub: StartHub, clock: FrozenClock) -> None:
    async with start_hub(clock=clock, container_restart_window_seconds=60) as hub:
        agent = await create_agent(hub)
        label = {"watchkeep.alert.restart_threshold": "2"}
        for restarts in (0, 1, 2):
            stats = [{"containerName": "api", "state": "running", "restartCount": restarts}]
            await _report(hub, agent, clock, [_container("c1", "api", "running", **label)], services=stats)
            clock.advance(10)
        public_id = await _only(hub)
        (began,) = await _restart_alerts(hub)
        assert (began.firing, began.threshold, began.window_seconds) == (True, 2, 60)
        await eventually(lambda: _alert_statuses(hub, public_id, "container_restart_loop"), "the alert")
        # A full inventory without it archives it: the loop ends with it
        await _report(hub, agent, clock, [_container("c2", "other", "running")])
        ended = (await _restart_alerts(hub))[-1]
        assert ended.firing is False

        async def resolved() -> bool:
            return await _alert_statuses(hub, public_id, "container_restart_loop") == ["resolved"]

        await eventually(resolved, "the alert resolved")
        assert await ContainerService(hub.hub).check_restart_loops() is False
