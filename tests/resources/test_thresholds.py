"""Resource alert thresholds: set and read by the API, evaluated on every payload pushed
through the ingest route, raising and resolving alerts."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

from sqlalchemy import func, select

from tests.agents.support import create_agent
from tests.resources.support import agent_with_container, container, logged, push, resource_alerts, stats
from tests.support.hub import RunningHub
from watchkeep.core.clock import FrozenClock
from watchkeep.resources.tables import resource_threshold_states, resource_thresholds

StartHub = Callable[..., AbstractAsyncContextManager[RunningHub]]

CPU_3_2 = {"cpuPercent": {"threshold": 80, "breachSamples": 3, "recoverSamples": 2}}


async def test_a_container_fires_after_n_breaching_samples_and_recovers_after_m(
    start_hub: StartHub, clock: FrozenClock
) -> None:
    async with start_hub(clock=clock) as hub:
        agent, cid = await agent_with_container(hub, clock)
        url = f"/api/v1/containers/{cid}/resources/alerts"
        put = await hub.admin.put(url, json=CPU_3_2)
        assert put.status_code == 200, put.text
        assert put.json()["cpuPercent"] == {"threshold": 80.0, "breachSamples": 3, "recoverSamples": 2}
        assert put.json()["memoryPercent"] is None

        # two breaches, an interruption, then three in a row
        for cpu in (90, 95, 10, 90, 91):
            await push(hub, agent, clock, services=[stats("api", cpu, 100)])
        assert await logged(hub, "resource.alert") == []
        await push(hub, agent, clock, services=[stats("api", 92, 100)])
        [alert] = await logged(hub, "resource.alert")
        assert alert.data() | {} == {
            "kind": "container",
            "subject": cid,
            "agent_id": agent["id"],
            "container_id": cid,
            "name": "api",
            "metric": "cpuPercent",
            "value": 92.0,
            "threshold": 80.0,
            "breach_samples": 3,
        }
        [raised] = await resource_alerts(hub)
        assert (raised["status"], raised["type"], raised["entityType"], raised["entityId"]) == (
            "active",
            "cpuPercent_high",
            "container",
            cid,
        )
        assert (await hub.admin.get(url)).json()["status"]["cpuPercent"]["firing"] is True

        # one sample under, one over: still firing; then two under in a row recover
        for cpu in (20, 85, 20):
            await push(hub, agent, clock, services=[stats("api", cpu, 100)])
        assert await logged(hub, "resource.recovery") == []
        await push(hub, agent, clock, services=[stats("api", 20, 100)])
        [recovery] = await logged(hub, "resource.recovery")
        assert (recovery.value, recovery.reason) == (20.0, "recovered")  # type: ignore[attr-defined]
        [resolved] = await resource_alerts(hub)
        assert resolved["status"] == "resolved"


async def test_cpu_and_memory_are_independent(start_hub: StartHub, clock: FrozenClock) -> None:
    async with start_hub(clock=clock) as hub:
        agent, cid = await agent_with_container(hub, clock)
        body = {
            "cpuPercent": {"threshold": 150, "breachSamples": 1, "recoverSamples": 1},
            "memoryPercent": {"threshold": 50, "breachSamples": 2, "recoverSamples": 1},
        }
        assert (await hub.admin.put(f"/api/v1/containers/{cid}/resources/alerts", json=body)).status_code == 200
        await push(hub, agent, clock, services=[stats("api", 160, 600)])  # cpu fires, memory counts 1
        await push(hub, agent, clock, services=[stats("api", 10, 700)])  # cpu recovers, memory fires
        await push(hub, agent, clock, services=[stats("api", 170, 100)])  # cpu fires, memory recovers
        sequence = [(e.type, e.metric) for e in await logged(hub, "resource.alert", "resource.recovery")]  # type: ignore[attr-defined]
        assert sequence == [
            ("resource.alert", "cpuPercent"),
            ("resource.recovery", "cpuPercent"),
            ("resource.alert", "memoryPercent"),
            ("resource.alert", "cpuPercent"),
            ("resource.recovery", "memoryPercent"),
        ]
        alerts = {(a["type"], a["status"]) for a in await resource_alerts(hub)}
        assert alerts == {
            ("cpuPercent_high", "resolved"),
            ("cpuPercent_high", "active"),
            ("memoryPercent_high", "resolved"),
        }


async def test_a_host_fires_and_recovers_on_cpu_memory_and_disk(
    start_hub: StartHub, clock: FrozenClock, database_url: str
) -> None:
    async with start_hub(clock=clock) as hub:
        agent = await create_agent(hub, "db-1")
        url = f"/api/v1/agents/{agent['id']}/resources/alerts"
        body = {
            "cpuPercent": {"threshold": 90, "breachSamples": 2, "recoverSamples": 1},
            "memoryPercent": {"threshold": 80, "breachSamples": 1, "recoverSamples": 1},
            "diskPercent": {"threshold": 95, "breachSamples": 1, "recoverSamples": 1},
        }
        assert (await hub.admin.put(url, json=body)).status_code == 200
        host = {"memoryUsedMb": 900, "memoryTotalMb": 1000, "diskUsedGb": 10, "diskTotalGb": 100}
        await push(hub, agent, clock, cpuPercent=95, **host)
        await push(hub, agent, clock, cpuPercent=97, **host)
        raised = {(a["type"], a["entityType"], a["entityId"], a["entityName"]) for a in await resource_alerts(hub)}
        assert raised == {
            ("cpuPercent_high", "host", agent["id"], "db-1"),
            ("memoryPercent_high", "host", agent["id"], "db-1"),
        }
        await push(hub, agent, clock, cpuPercent=5, memoryUsedMb=100, memoryTotalMb=1000)
        assert {a["status"] for a in await resource_alerts(hub)} == {"resolved"}
        got = (await hub.admin.get(url)).json()
        assert got["diskPercent"] == {"threshold": 95.0, "breachSamples": 1, "recoverSamples": 1}
        assert got["status"]["cpuPercent"]["firing"] is False


async def test_bad_thresholds_are_refused_by_field_and_write_nothing(
    start_hub: StartHub, clock: FrozenClock, database_url: str
) -> None:
    async with start_hub(clock=clock) as hub:
        agent, cid = await agent_with_container(hub, clock)
        container_url = f"/api/v1/containers/{cid}/resources/alerts"
        host_url = f"/api/v1/agents/{agent['id']}/resources/alerts"
        good = {"threshold": 50, "breachSamples": 1, "recoverSamples": 1}
        cases: list[tuple[str, dict[str, Any], str]] = [
            (container_url, {"cpuPercent": {**good, "breachSamples": 0}}, "cpuPercent.breachSamples"),
            (
                container_url,
                {"cpuPercent": good, "memoryPercent": {**good, "threshold": 120}},
                "memoryPercent.threshold",
            ),
            (container_url, {"memoryPercent": {**good, "recoverSamples": 100_000}}, "memoryPercent.recoverSamples"),
            (container_url, {"cpuPercent": {**good, "threshold": 0}}, "cpuPercent.threshold"),
            (container_url, {"cpuPercent": {"threshold": 50, "breachSamples": 1}}, "cpuPercent.recoverSamples"),
            (container_url, {"diskPercent": good}, "diskPercent"),
            (host_url, {"cpuPercent": good, "diskPercent": {**good, "threshold": -1}}, "diskPercent.threshold"),
        ]
        for url, body, field in cases:
            response = await hub.admin.put(url, json=body)
            assert response.status_code == 400, (body, response.text)
            assert response.json()["error"]["field"] == field, response.text
        async with hub.hub.store.read() as conn:
            for table in (resource_thresholds, resource_threshold_states):
                assert (await conn.execute(select(func.count()).select_from(table))).scalar_one() == 0
        # many cores: a container's CPU may pass 100
        assert (await hub.admin.put(container_url, json={"cpuPercent": {**good, "threshold": 350}})).status_code == 200
        assert (await hub.admin.put("/api/v1/containers/ctr_nope/resources/alerts", json={})).status_code == 404


async def test_removing_a_firing_threshold_resolves_its_alert(
    start_hub: StartHub, clock: FrozenClock, database_url: str
) -> None:
    async with start_hub(clock=clock) as hub:
        agent, cid = await agent_with_container(hub, clock)
        url = f"/api/v1/containers/{cid}/resources/alerts"
        both = {
            "cpuPercent": {"threshold": 50, "breachSamples": 1, "recoverSamples": 1},
            "memoryPercent": {"threshold": 50, "breachSamples": 1, "recoverSamples": 1},
        }
        await hub.admin.put(url, json=both)
        await push(hub, agent, clock, services=[stats("api", 90, 900)])
        assert {a["status"] for a in await resource_alerts(hub)} == {"active"}
        # the GET body sent back with memory taken out
        body = (await hub.admin.get(url)).json()
        body["memoryPercent"] = None
        assert (await hub.admin.put(url, json=body)).status_code == 200
        alerts = {a["type"]: a["status"] for a in await resource_alerts(hub)}
        assert alerts == {"cpuPercent_high": "active", "memoryPercent_high": "resolved"}
        [recovery] = await logged(hub, "resource.recovery")
        assert recovery.reason == "threshold_removed"  # type: ignore[attr-defined]
        # memory is no longer watched; cpu still is, from the memory of the hub it was cached in
        await push(hub, agent, clock, services=[stats("api", 95, 950)])
        assert len(await logged(hub, "resource.alert")) == 2


async def test_deleting_an_agent_resolves_its_alerts_and_forgets_its_thresholds(
    start_hub: StartHub, clock: FrozenClock, database_url: str
) -> None:
    async with start_hub(clock=clock) as hub:
        agent, cid = await agent_with_container(hub, clock)
        rule = {"cpuPercent": {"threshold": 50, "breachSamples": 1, "recoverSamples": 1}}
        await hub.admin.put(f"/api/v1/containers/{cid}/resources/alerts", json=rule)
        await hub.admin.put(f"/api/v1/agents/{agent['id']}/resources/alerts", json=rule)
        await push(hub, agent, clock, cpuPercent=60, services=[stats("api", 90, 100)])
        assert [a["status"] for a in await resource_alerts(hub)] == ["active", "active"]
        assert (await hub.admin.delete(f"/api/v1/agents/{agent['id']}")).status_code == 204
        assert [a["status"] for a in await resource_alerts(hub)] == ["resolved", "resolved"]
        assert {e.reason for e in await logged(hub, "resource.recovery")} == {"deleted"}  # type: ignore[attr-defined]
        async with hub.hub.store.read() as conn:
            for table in (resource_thresholds, resource_threshold_states):
                assert (await conn.execute(select(func.count()).select_from(table))).scalar_one() == 0


async def test_deleting_an_archived_container_resolves_its_alert(start_hub: StartHub, clock: FrozenClock) -> None:
    async with start_hub(clock=clock) as hub:
        agent, cid = await agent_with_container(hub, clock)
        rule = {"cpuPercent": {"threshold": 50, "breachSamples": 1, "recoverSamples": 1}}
        await hub.admin.put(f"/api/v1/containers/{cid}/resources/alerts", json=rule)
        await push(hub, agent, clock, services=[stats("api", 90, 100)])
        # a full inventory without it archives it
        await push(hub, agent, clock, containers=[container("b1", "other")])
        assert (await hub.admin.delete(f"/api/v1/containers/{cid}")).status_code == 204
        [alert] = await resource_alerts(hub)
        assert alert["status"] == "resolved"


async def test_thresholds_set_through_another_replica_apply_to_the_next_payload(
    start_hub: StartHub, clock: FrozenClock, database_url: str
) -> None:
    async with start_hub(clock=clock) as ingesting, start_hub(clock=clock) as other:
        agent, cid = await agent_with_container(ingesting, clock)
        await push(ingesting, agent, clock, services=[stats("api", 90, 100)])  # remembered: no thresholds
        rule = {"cpuPercent": {"threshold": 50, "breachSamples": 1, "recoverSamples": 1}}
        assert (await other.admin.put(f"/api/v1/containers/{cid}/resources/alerts", json=rule)).status_code == 200
        await push(ingesting, agent, clock, services=[stats("api", 91, 100)])
        [alert] = await logged(ingesting, "resource.alert")
        assert alert.value == 91.0  # type: ignore[attr-defined]
        # and the other way round: a change of the rule there, while this hub remembers it
        rule["cpuPercent"]["threshold"] = 95
        assert (await other.admin.put(f"/api/v1/containers/{cid}/resources/alerts", json=rule)).status_code == 200
        await push(ingesting, agent, clock, services=[stats("api", 92, 100)])
        [recovery] = await logged(ingesting, "resource.recovery")
        assert (recovery.value, recovery.threshold) == (92.0, 95.0)  # type: ignore[attr-defined]
