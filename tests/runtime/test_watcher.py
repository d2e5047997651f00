"""The local runtime against a real Docker engine: the hub follows the engine's events and
turns them into transitions (with exit codes, outcomes, OOM kills and log tails), raises and
resolves container alerts, counts restart loops, and reconciles after a reconnect."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager
from typing import Any

import pytest

from tests.support.docker_engine import DockerEngine
from tests.support.hub import RunningHub
from tests.support.polling import eventually
from watchkeep.containers.service import ContainerService
from watchkeep.core.clock import FrozenClock
from watchkeep.core.events.log import events_after

StartHub = Callable[..., AbstractAsyncContextManager[RunningHub]]


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    return sqlite_url


@pytest.fixture
async def hub(start_hub: StartHub, clock: FrozenClock, docker_engine: DockerEngine) -> AsyncIterator[RunningHub]:
    async with start_hub(clock=clock, docker_host=docker_engine.host, docker_stats_interval=0.5) as running:
        status = running.admin
        await eventually(
            lambda: _json(status, "/api/v1/runtime/status", lambda body: body["following"]), "the engine followed"
        )
        yield running


@pytest.fixture
def containers(docker_engine: DockerEngine) -> Iterator[Callable[[str], str]]:
    """Names for this test's containers; each is removed at the end."""
    made: list[str] = []

    def name(base: str) -> str:
        made.append(base)
        return base

    yield name
    for made_name in made:
        docker_engine.docker("rm", "-f", made_name, check=False)


async def _json(client: Any, path: str, pick: Callable[[Any], Any], **params: Any) -> Any:
    response = await client.get(path, params=params)
    return pick(response.json()) if response.status_code == 200 else None


async def _container(hub: RunningHub, name: str, *, archived: bool = False) -> dict[str, Any] | None:
    params = {"archived": "true"} if archived else {}
    items = (await hub.admin.get("/api/v1/containers", params=params)).json()["items"]
    return next((item for item in items if item["name"] == name), None)


async def _transitions(hub: RunningHub, public_id: str) -> list[dict[str, Any]]:
    """Oldest first."""
    items: list[dict[str, Any]] = (await hub.admin.get(f"/api/v1/containers/{public_id}/transitions")).json()["items"]
    return items[::-1]


async def _alerts(hub: RunningHub, public_id: str, alert_type: str) -> list[dict[str, Any]]:
    params = {"entityType": "container", "entityId": public_id}
    items = (await hub.admin.get("/api/v1/alerts", params=params)).json()["items"]
    return [item for item in items if item["type"] == alert_type]


async def _events(hub: RunningHub, kind: str, public_id: str) -> list[Any]:
    async with hub.hub.store.read() as conn:
        found, _ = await events_after(conn, 0, 10_000)
    return [e for e in found if e.type == kind and e.container_id == public_id]


async def _exit_transition(hub: RunningHub, public_id: str) -> dict[str, Any] | None:
    return next((t for t in await _transitions(hub, public_id) if t["state"] == "exited"), None)


async def test_a_started_then_stopped_container_is_a_completed_exit_with_its_uptime(
    hub: RunningHub, clock: FrozenClock, docker_engine: DockerEngine, containers: Callable[[str], str]
) -> None:
    name = containers("wk-web")
    docker_engine.run(name)
    found = await eventually(lambda: _container(hub, name), "the container listed")
    public_id = found["id"]
    assert found["source"] == "local"
    await eventually(
        lambda: _json(hub.admin, f"/api/v1/containers/{public_id}", lambda b: b["state"] == "running"), "running"
    )
    # The stats loop samples it as the hub's own agent, and leaves transitions to the events
    current = await eventually(
        lambda: _json(hub.admin, f"/api/v1/containers/{public_id}/resources/current", lambda body: body),
        "the container's stats",
    )
    assert current["values"]["memoryUsedMb"] is not None
    agents = (await hub.admin.get("/api/v1/agents")).json()
    assert [agent["name"] for agent in agents if agent["id"] == found["agentId"]] == ["watchkeep hub"]
    clock.advance(60)
    # busybox sleep as PID 1 ignores SIGTERM: the engine kills it after the timeout (137)
    docker_engine.docker("stop", "-t", "1", name)
    exited = await eventually(lambda: _exit_transition(hub, public_id), "the exit")
    assert (exited["previousState"], exited["exitCode"], exited["outcome"]) == ("running", 137, "completed")
    assert exited["oomKilled"] is False
    states = [(t["previousState"], t["state"]) for t in await _transitions(hub, public_id)]
    assert states == [(None, "created"), ("created", "running"), ("running", "exited")]
    clock.advance(60)
    details = (await hub.admin.get(f"/api/v1/containers/{public_id}")).json()
    assert details["uptime"]["24h"] == 50.0
    assert details["restartLoop"] is None
    changed = await _events(hub, "container.state_changed", public_id)
    assert [(e.state, e.outcome) for e in changed][-1] == ("exited", "completed")
    # A completed exit raises nothing
    assert await _alerts(hub, public_id, "container_exited") == []


async def test_a_failed_exit_keeps_its_log_tail_and_alerts_until_the_container_is_removed(
    hub: RunningHub, clock: FrozenClock, docker_engine: DockerEngine, containers: Callable[[str], str]
) -> None:
    name = containers("wk-fail")
    script = "echo first-out; echo first-err >&2; echo last-out; exit 3"
    docker_engine.run(name, command=("/bin/sh", "-c", script))
    found = await eventually(lambda: _container(hub, name), "the container listed")
    public_id = found["id"]
    exited = await eventually(lambda: _exit_transition(hub, public_id), "the exit")
    assert (exited["exitCode"], exited["outcome"], exited["oomKilled"]) == (3, "failed", False)
    # Both streams, each in its order (the engine orders lines of two streams by their time)
    tail = exited["logTail"]
    assert [line["text"] for line in tail if line["stream"] == "stdout"] == ["first-out", "last-out"]
    assert [line["text"] for line in tail if line["stream"] == "stderr"] == ["first-err"]
    assert all(line["at"] for line in exited["logTail"])

    alert = (await eventually(lambda: _alerts(hub, public_id, "container_exited"), "the alert"))[0]
    assert (alert["status"], alert["severity"]) == ("active", "critical")
    assert alert["details"]["exitCode"] == 3 and alert["details"]["oomKilled"] is False

    clock.advance(1)  # an inventory archives what it no longer lists as seen before it
    docker_engine.docker("rm", name)
    archived = await eventually(lambda: _container(hub, name, archived=True), "the container archived")
    assert archived["archived"] is True
    assert (await _transitions(hub, public_id))[-1]["state"] == "removed"

    async def resolved() -> bool:
        return [a["status"] for a in await _alerts(hub, public_id, "container_exited")] == ["resolved"]

    await eventually(resolved, "the alert resolved")


async def test_an_oom_kill_is_a_failed_exit(
    hub: RunningHub, docker_engine: DockerEngine, containers: Callable[[str], str]
) -> None:
    name = containers("wk-oom")
    # dd holds a 64 MiB block in memory: over a 16 MiB limit without swap the kernel kills it
    limit = ("--memory", "16m", "--memory-swap", "16m")
    docker_engine.run(name, *limit, command=("/bin/dd", "if=/dev/zero", "of=/dev/null", "bs=64M", "count=1"))
    docker_engine.wait_for(name, "{{.State.Status}}", "exited")
    if docker_engine.inspect(name, "{{.State.OOMKilled}}") != "true":
        pytest.skip("this kernel does not enforce the container's memory limit (no memory cgroup controller)")
    found = await eventually(lambda: _container(hub, name), "the container listed")
    exited = await eventually(lambda: _exit_transition(hub, found["id"]), "the exit")
    assert (exited["oomKilled"], exited["outcome"]) == (True, "failed")
    alert = (await eventually(lambda: _alerts(hub, found["id"], "container_exited"), "the alert"))[0]
    assert alert["details"]["oomKilled"] is True


async def test_a_restart_loop_alerts_and_resolves_once_the_window_holds_fewer_restarts(
    hub: RunningHub, clock: FrozenClock, docker_engine: DockerEngine, containers: Callable[[str], str]
) -> None:
    name = containers("wk-loop")
    docker_engine.run(name, "--restart=always", command=("/bin/sh", "-c", "exit 1"))
    found = await eventually(lambda: _container(hub, name), "the container listed")
    public_id = found["id"]
    started = await eventually(
        lambda: _events(hub, "container.restart_alert", public_id), "the restart loop", timeout=90
    )
    assert (started[0].firing, started[0].threshold, started[0].window_seconds) == (True, 3, 600)
    assert started[0].restarts >= 3  # one start may bring two restarts when the engine was quicker
    alert = (await eventually(lambda: _alerts(hub, public_id, "container_restart_loop"), "the alert"))[0]
    assert alert["status"] == "active" and alert["details"]["threshold"] == 3
    loop = (await hub.admin.get(f"/api/v1/containers/{public_id}")).json()["restartLoop"]
    assert loop is not None and loop["restarts"] >= 3 and loop["windowSeconds"] == 600
    restarted = [t for t in await _transitions(hub, public_id) if t["restarts"]]
    # Each counted on a start (the engine may have restarted it again before the start was read)
    assert sum(t["restarts"] for t in restarted) >= 3 and all(t["state"] == "running" for t in restarted)

    # Stop the loop, let its last events arrive, then let the window pass
    async def policy_off() -> bool:
        # The engine refuses an update while it swaps the container's process: try again
        return docker_engine.docker("update", "--restart=no", name, check=False) != ""

    await eventually(policy_off, "the restart policy off")
    docker_engine.wait_for(name, "{{.State.Status}}", "exited")

    async def settled() -> bool:
        last = (await _transitions(hub, public_id))[-1]
        return last["state"] == "exited" and docker_engine.inspect(name, "{{.State.Status}}") == "exited"

    await eventually(settled, "the loop stopped")
    clock.advance(601)
    assert await ContainerService(hub.hub).check_restart_loops() is True
    ended = (await _events(hub, "container.restart_alert", public_id))[-1]
    assert ended.firing is False

    async def resolved() -> bool:
        return [a["status"] for a in await _alerts(hub, public_id, "container_restart_loop")] == ["resolved"]

    await eventually(resolved, "the alert resolved")
    assert (await hub.admin.get(f"/api/v1/containers/{public_id}")).json()["restartLoop"] is None


# The test image holds /bin only: make /tmp first.
_HEALTHY_THEN_SLEEP = "/bin/busybox mkdir -p /tmp && echo ok > /tmp/ok && exec sleep 3600"


async def test_a_health_flip_raises_unhealthy_and_healthy_resolves_it(
    hub: RunningHub, docker_engine: DockerEngine, containers: Callable[[str], str]
) -> None:
    name = containers("wk-health")
    health = ("--health-cmd", "cat /tmp/ok", "--health-interval", "1s", "--health-retries", "1")
    docker_engine.run(name, *health, command=("/bin/sh", "-c", _HEALTHY_THEN_SLEEP))
    found = await eventually(lambda: _container(hub, name), "the container listed")
    public_id = found["id"]

    async def health_is(value: str) -> bool:
        return (await hub.admin.get(f"/api/v1/containers/{public_id}")).json()["health"] == value

    await eventually(lambda: health_is("healthy"), "healthy")
    docker_engine.docker("exec", name, "/bin/busybox", "rm", "/tmp/ok")
    await eventually(lambda: health_is("unhealthy"), "unhealthy")
    alert = (await eventually(lambda: _alerts(hub, public_id, "container_unhealthy"), "the alert"))[0]
    assert alert["status"] == "active"
    docker_engine.docker("exec", name, "/bin/busybox", "touch", "/tmp/ok")
    await eventually(lambda: health_is("healthy"), "healthy again")

    async def resolved() -> bool:
        return [a["status"] for a in await _alerts(hub, public_id, "container_unhealthy")] == ["resolved"]

    await eventually(resolved, "the alert resolved")
    flips = [(t["previousHealth"], t["health"]) for t in await _transitions(hub, public_id) if t["previousHealth"]]
    assert ("healthy", "unhealthy") in flips and ("unhealthy", "healthy") in flips


async def test_a_container_removed_while_not_followed_is_archived_on_reconnect(
    hub: RunningHub, clock: FrozenClock, docker_engine: DockerEngine, containers: Callable[[str], str]
) -> None:
    name = containers("wk-gone")
    docker_engine.run(name)
    found = await eventually(lambda: _container(hub, name), "the container listed")
    watcher = hub.app.state.runtime_watcher
    await watcher.stop()
    clock.advance(1)
    with contextlib.suppress(Exception):
        docker_engine.docker("rm", "-f", name)
    assert await _container(hub, name) is not None  # nobody saw it go
    watcher.start()
    archived = await eventually(lambda: _container(hub, name, archived=True), "archived after the reconnect")
    assert archived["id"] == found["id"]
    assert (await _transitions(hub, found["id"]))[-1]["state"] == "removed"
