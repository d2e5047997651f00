"""KubeWatch pushes: pods become containers of the pushing agent, grouped by namespace, and
nodes become hosts of their own, with current values, history and a place in the summary."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

from tests.agents.support import REGISTER_EXAMPLE, bearer, table_snapshot
from tests.support.hub import RunningHub
from tests.support.polling import eventually
from watchkeep.core.clock import FrozenClock

StartHub = Callable[..., AbstractAsyncContextManager[RunningHub]]


def _pod(name: str, namespace: str, phase: str = "Running", **extra: Any) -> dict[str, Any]:
    return {"name": name, "namespace": namespace, "phase": phase, "image": "nginx:1.27", **extra}


def _node(name: str, cpu: float, **extra: Any) -> dict[str, Any]:
    return {"name": name, "status": "Ready", "cpuPercent": cpu, "memoryMB": 2048, "memoryTotalMB": 8192, **extra}


async def _agent(hub: RunningHub) -> tuple[str, dict[str, str]]:
    key = await hub.user_key("admin", "admin", ["agents:register"])
    response = await hub.client(key).post(
        "/api/v1/agents/register", json={**REGISTER_EXAMPLE, "platform": "kubernetes"}
    )
    registered = response.json()
    return registered["agentId"], bearer(registered["token"])


async def _push(hub: RunningHub, agent_id: str, headers: dict[str, str], body: dict[str, Any]) -> None:
    response = await hub.client().post(f"/api/v1/agents/{agent_id}/push", json=body, headers=headers)
    assert response.status_code == 200, response.text


async def test_pods_are_containers_grouped_by_namespace(start_hub: StartHub, clock: FrozenClock) -> None:
    async with start_hub(clock=clock) as hub:
        agent_id, headers = await _agent(hub)
        pods = [
            _pod("web-7d9f", "shop", uid="0b7c-1", ready=True, restartCount=2, cpuPercent=12.5, memoryMB=64),
            _pod("worker-1", "shop", ready=False, memoryMB=32, memoryLimitMB=128),
            _pod("coredns-5d", "kube-system", labels={"k8s-app": "kube-dns"}),
            _pod("migrate-1", "shop", phase="Succeeded"),
        ]
        await _push(hub, agent_id, headers, {"pods": pods, "nodes": []})
        listed = (await hub.admin.get("/api/v1/containers", params={"agentId": agent_id})).json()
        by_name = {c["name"]: c for c in listed["items"]}
        assert set(by_name) == {"shop/web-7d9f", "shop/worker-1", "kube-system/coredns-5d", "shop/migrate-1"}
        web = by_name["shop/web-7d9f"]
        assert (web["state"], web["health"], web["restartCount"], web["group"]) == ("running", "healthy", 2, "shop")
        assert web["containerId"] == "0b7c-1"
        assert by_name["shop/worker-1"]["health"] == "unhealthy"
        assert by_name["shop/migrate-1"]["state"] == "exited"
        assert by_name["kube-system/coredns-5d"]["labels"]["k8s-app"] == "kube-dns"
        groups = {(g["kind"], g["name"]): g["counts"] for g in listed["groups"]}
        assert groups == {
            ("namespace", "kube-system"): {"running": 1},
            ("namespace", "shop"): {"running": 2, "exited": 1},
        }

        current = (await hub.admin.get(f"/api/v1/containers/{web['id']}/resources/current")).json()
        assert current["values"]["cpuPercent"] == 12.5
        worker = (await hub.admin.get(f"/api/v1/containers/{by_name['shop/worker-1']['id']}/resources/current")).json()
        assert worker["values"]["memoryPercent"] == 25.0

        # The pods pushed are the whole inventory: a pod no longer pushed is archived.
        clock.advance(15)
        await _push(hub, agent_id, headers, {"pods": pods[:2]})
        names = {c["name"] for c in (await hub.admin.get("/api/v1/containers")).json()["items"]}
        assert names == {"shop/web-7d9f", "shop/worker-1"}
        archived = (await hub.admin.get("/api/v1/containers", params={"archived": "true"})).json()["items"]
        assert {c["name"] for c in archived} >= {"kube-system/coredns-5d", "shop/migrate-1"}


async def test_nodes_are_hosts_with_values_history_and_summary(start_hub: StartHub, clock: FrozenClock) -> None:
    async with start_hub(clock=clock) as hub:
        agent_id, headers = await _agent(hub)
        nodes = [_node("node-a", 40.0, pods=3, networkRxBytes=1000), _node("node-b", 10.0, status="NotReady")]
        await _push(hub, agent_id, headers, {"nodes": nodes, "pods": [_pod("web", "shop")]})
        clock.advance(10)
        nodes[0] = {**nodes[0], "cpuPercent": 60.0, "networkRxBytes": 21000}
        await _push(hub, agent_id, headers, {"nodes": nodes, "pods": [_pod("web", "shop")]})

        current = (await hub.admin.get(f"/api/v1/agents/{agent_id}/metrics/current")).json()
        node_a, node_b = current["nodes"]
        assert (node_a["name"], node_a["cpuPercent"], node_a["ready"], node_a["pods"]) == ("node-a", 60.0, True, 3)
        assert node_a["memoryPercent"] == 25.0
        assert node_a["networkRxBytesPerSec"] == 2000.0
        assert (node_b["name"], node_b["ready"]) == ("node-b", False)
        assert current["host"] is None

        history = await hub.admin.get(
            f"/api/v1/agents/{agent_id}/metrics/history",
            params={"range": "1h", "metric": "cpuPercent", "node": "node-a"},
        )
        assert history.status_code == 200, history.text
        points = history.json()["points"]
        assert [p["v"] for p in points] == [40.0, 60.0], points
        assert max(p["max"] for p in points) == 60.0
        both = await hub.admin.get(
            f"/api/v1/agents/{agent_id}/metrics/history", params={"container": "shop/web", "node": "node-a"}
        )
        assert both.status_code == 400
        assert both.json()["error"]["field"] == "node"

        summary = (await hub.admin.get("/api/v1/resources/summary")).json()
        hosts = {h["name"]: h for h in summary["hosts"] if h["agentId"] == agent_id}
        assert hosts["node-a"]["node"] == "node-a"
        assert (hosts["node-a"]["cpuPercent"], hosts["node-a"]["containers"]) == (60.0, 3)
        assert hosts["node-b"]["ready"] is False
        assert summary["overall"]["containers"] == 1


async def test_a_bad_pod_or_node_is_named_and_writes_nothing(hub: RunningHub) -> None:
    agent_id, headers = await _agent(hub)
    before = await table_snapshot(hub)
    for body, field in (
        ({"pods": [{"namespace": "shop"}]}, "pods[0].name"),
        ({"pods": [_pod("web", "shop", cpuPercent=-1)]}, "pods[0].cpuPercent"),
        ({"nodes": [_node("a", 1.0), {"name": ""}]}, "nodes[1].name"),
        ({"nodes": [_node("a", 1.0, memoryMB="2G")]}, "nodes[0].memoryMB"),
    ):
        response = await hub.client().post(f"/api/v1/agents/{agent_id}/push", json=body, headers=headers)
        assert response.status_code == 400, body
        assert response.json()["error"]["field"] == field
    assert await table_snapshot(hub) == before


async def test_a_failed_pod_raises_an_alert_and_a_finished_job_none(start_hub: StartHub, clock: FrozenClock) -> None:
    async with start_hub(clock=clock) as hub:
        agent_id, headers = await _agent(hub)
        await _push(hub, agent_id, headers, {"pods": [_pod("api", "shop"), _pod("report", "jobs")]})
        clock.advance(15)
        failed = _pod("api", "shop", phase="Failed")
        await _push(hub, agent_id, headers, {"pods": [failed, _pod("report", "jobs", phase="Succeeded")]})

        async def active() -> list[dict[str, Any]]:
            alerts: list[dict[str, Any]] = (await hub.admin.get("/api/v1/alerts/active")).json()["critical"]
            return alerts

        alerts = await eventually(active, "the failed pod's alert")
        assert [(a["type"], a["entityName"]) for a in alerts] == [("container_exited", "shop/api")]
        assert alerts[0]["details"]["exitCode"] == 1
        by_name = {c["name"]: c for c in (await hub.admin.get("/api/v1/containers")).json()["items"]}
        transitions = (await hub.admin.get(f"/api/v1/containers/{by_name['jobs/report']['id']}/transitions")).json()
        assert transitions["items"][0]["outcome"] == "completed"
