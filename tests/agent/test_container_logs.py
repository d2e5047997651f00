"""Container logs between the hub and the real agent on a real engine: a log request appears
in the agent's config and its answer is stored and served; a followed container's new lines
reach an open stream; a container that dies sends its last lines unasked; a bad
`containerLogs` payload is rejected naming the field and writes nothing."""

from __future__ import annotations

import json
import os
import random
import subprocess
import time
import uuid
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from tests.agents.support import bearer, create_agent, table_snapshot
from tests.support.docker_engine import DockerEngine
from tests.support.hub import RunningHub
from tests.support.sse import open_stream
from watchkeep.agent.docker import DockerCollector
from watchkeep.agent.hostcollector import HostCollector
from watchkeep.agent.hubclient import HubClient
from watchkeep.agent.runner import Agent, Backoff
from watchkeep.agent.sampler import Sampler
from watchkeep.agent.spool import Spool
from watchkeep.containers.model import public_id

StartHub = Callable[..., AbstractAsyncContextManager[RunningHub]]

CHATTY = (
    "/bin/sh",
    "-c",
    "echo hello-out; echo hello-err >&2; while :; do if [ -s /say ]; then cat /say; : > /say; fi; sleep 1; done",
)


def _agent(tmp_path: Path, hub: RunningHub, token: str, engine: DockerEngine) -> Agent:
    client = HubClient(hub.url, token=token, timeout=10)
    spool = Spool(tmp_path / f"spool-{uuid.uuid4().hex[:6]}", max_bytes=10_000_000, max_age_seconds=86400)
    sampler = Sampler(HostCollector(), docker=DockerCollector(engine.host), checks=None)
    return Agent(sampler, spool, client, backoff=Backoff(rng=random.Random(3)))


async def _logs(hub: RunningHub, container: str, **params: str) -> Any:
    response = await hub.admin.get(f"/api/v1/containers/{container}/logs", params=params)
    assert response.status_code == 200, response.text
    return response.json()


async def _config(hub: RunningHub, token: str) -> Any:
    response = await hub.client().get("/api/agent/config", headers=bearer(token))
    assert response.status_code == 200, response.text
    return response.json()


def _wait_for_output(engine: DockerEngine, name: str, text: str) -> None:
    """Until the container's log (either stream) holds `text`."""
    deadline = time.monotonic() + 30
    env = {**os.environ, "DOCKER_HOST": engine.host}
    while True:
        logs = subprocess.run(["docker", "logs", name], capture_output=True, text=True, env=env, timeout=60, check=True)
        if text in logs.stdout + logs.stderr:
            return
        assert time.monotonic() < deadline, f"{name} did not write {text}"
        time.sleep(0.1)


async def test_a_log_request_reaches_the_agent_and_its_answer_is_served(
    start_hub: StartHub, docker_engine: DockerEngine, tmp_path: Path
) -> None:
    async with start_hub() as hub:
        created = await create_agent(hub, "docker-host")
        name = f"talk-{uuid.uuid4().hex[:8]}"
        engine_id = docker_engine.run(name, command=CHATTY)
        container = public_id(created["id"], engine_id)
        agent = _agent(tmp_path, hub, created["token"], docker_engine)
        try:
            await agent.tick()  # the inventory
            first = await _logs(hub, container, tail="10")
            assert first["source"] == "agent" and first["pending"] is True and first["items"] == []
            # Asked again for the same lines before the agent answered: the same request
            assert (await _logs(hub, container, tail="10"))["requestId"] == first["requestId"]
            requests = (await _config(hub, created["token"]))["logRequests"]
            assert [(r["id"], r["containerId"], r["tail"], r["followUntil"]) for r in requests] == [
                (first["requestId"], engine_id, 10, None)
            ]

            _wait_for_output(docker_engine, name, "hello-err")
            await agent.refresh_config(force=True)
            await agent.tick()  # answers the request
            assert (await _config(hub, created["token"]))["logRequests"] == []  # answered

            served = await _logs(hub, container)
            lines = {(line["stream"], line["text"]) for line in served["items"]}
            assert lines == {("stdout", "hello-out"), ("stderr", "hello-err")}
            assert all(line["at"].endswith("Z") for line in served["items"])
            assert served["pending"] is True  # a fresher answer was asked for

            # Answered again, a line already stored is kept once
            await agent.refresh_config(force=True)
            await agent.tick()
            again = await _logs(hub, container, stream="stderr")
            assert [line["text"] for line in again["items"]] == ["hello-err"]
        finally:
            await agent.hub.aclose()
            docker_engine.docker("rm", "-f", name)


async def test_a_followed_container_streams_its_new_lines(
    start_hub: StartHub, docker_engine: DockerEngine, tmp_path: Path
) -> None:
    async with start_hub() as hub:
        created = await create_agent(hub, "docker-host")
        name = f"follow-{uuid.uuid4().hex[:8]}"
        engine_id = docker_engine.run(name, command=CHATTY)
        container = public_id(created["id"], engine_id)
        agent = _agent(tmp_path, hub, created["token"], docker_engine)
        try:
            await agent.tick()
            path = f"/api/v1/containers/{container}/logs/stream"
            async with open_stream(hub.url, hub.admin_key, path=path, params={"tail": "0"}) as stream:
                requests = (await _config(hub, created["token"]))["logRequests"]
                assert len(requests) == 1 and requests[0]["followUntil"] is not None
                await agent.refresh_config(force=True)
                assert agent.following
                await agent.log_tick()  # the first answer: from here on
                docker_engine.docker("exec", name, "/bin/sh", "-c", "echo followed-line > /say")
                _wait_for_output(docker_engine, name, "followed-line")
                await agent.log_tick()
                frame = await stream.next(timeout=30)
                assert (frame.event, frame.data["stream"], frame.data["text"]) == ("log", "stdout", "followed-line")
                assert frame.id is not None
        finally:
            await agent.hub.aclose()
            docker_engine.docker("rm", "-f", name)


async def test_a_container_that_dies_sends_its_last_lines_unasked(
    start_hub: StartHub, docker_engine: DockerEngine, tmp_path: Path
) -> None:
    async with start_hub() as hub:
        created = await create_agent(hub, "docker-host")
        name = f"dies-{uuid.uuid4().hex[:8]}"
        engine_id = docker_engine.run(
            name,
            command=(
                "/bin/sh",
                "-c",
                "echo last-words; echo fatal-error >&2; while [ ! -s /stop ]; do sleep 1; done; exit 3",
            ),
        )
        container = public_id(created["id"], engine_id)
        agent = _agent(tmp_path, hub, created["token"], docker_engine)
        try:
            _wait_for_output(docker_engine, name, "fatal-error")
            await agent.tick()  # seen running
            docker_engine.docker("exec", name, "/bin/sh", "-c", "echo 1 > /stop")
            docker_engine.wait_for(name, "{{.State.Status}}", "exited")
            await agent.tick()  # seen exited: its last lines go with the payload
            async with hub.hub.store.read() as conn:
                rows = (
                    await conn.execute(
                        text("SELECT stream, text, reason FROM container_log_lines WHERE public_id = :p ORDER BY id"),
                        {"p": container},
                    )
                ).all()
            assert {tuple(row) for row in rows} == {("stdout", "last-words", "die"), ("stderr", "fatal-error", "die")}
            served = await _logs(hub, container)
            assert {line["text"] for line in served["items"]} == {"last-words", "fatal-error"}
        finally:
            await agent.hub.aclose()
            docker_engine.docker("rm", "-f", name)


LINE = {"stream": "stdout", "at": "2026-04-15T12:00:00.123456789Z", "text": "hello"}
ENTRY = {"containerId": "abc123", "containerName": "web", "reason": "die", "lines": [LINE]}


@pytest.mark.parametrize(
    ("entry", "field"),
    [
        ({**ENTRY, "reason": "request"}, "containerLogs[0].requestId"),
        ({**ENTRY, "reason": "bored"}, "containerLogs[0].reason"),
        ({**ENTRY, "lines": [{**LINE, "stream": "stdin"}]}, "containerLogs[0].lines[0].stream"),
        ({**ENTRY, "lines": [LINE, {**LINE, "at": "yesterday"}]}, "containerLogs[0].lines[1].at"),
        ({**ENTRY, "lines": [{**LINE, "at": "2026-02-30T12:00:00Z"}]}, "containerLogs[0].lines[0].at"),
        ({**ENTRY, "lines": [{**LINE, "text": "x" * 16_385}]}, "containerLogs[0].lines[0].text"),
        ({**ENTRY, "lines": [LINE] * 1001}, "containerLogs[0].lines"),
        ({k: v for k, v in ENTRY.items() if k != "containerId"}, "containerLogs[0].containerId"),
    ],
)
async def test_a_bad_container_logs_payload_is_rejected_naming_the_field_and_writes_nothing(
    start_hub: StartHub, entry: dict[str, Any], field: str
) -> None:
    async with start_hub() as hub:
        created = await create_agent(hub, "docker-host")
        before = await table_snapshot(hub)
        payload = {"cpuPercent": 5, "containerLogs": [entry]}
        response = await hub.client().post(
            "/api/metrics/ingest",
            content=json.dumps(payload).encode(),
            headers={**bearer(created["token"]), "Content-Type": "application/json"},
        )
        assert response.status_code == 400, response.text
        assert response.json()["field"] == field
        assert await table_snapshot(hub) == before
