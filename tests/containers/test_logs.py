"""A container's logs from the hub's own Docker engine: both streams decoded with their
times, the filters, a line written after a stream connected, keep-alives, the stream's end
when the container stops or the client goes, and the errors."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

import pytest

from tests.support.docker_engine import DockerEngine
from tests.support.hub import RunningHub
from tests.support.sse import open_stream
from watchkeep.agents.selfmonitor import SelfMonitor, own_agent
from watchkeep.containers.model import public_id

StartHub = Callable[..., AbstractAsyncContextManager[RunningHub]]

# Writes two lines to each stream a second apart, then prints what `docker exec` leaves in /say.
CHATTY = (
    "/bin/sh",
    "-c",
    "echo out-1; echo err-1 >&2; sleep 1; echo out-2; echo err-2 >&2; "
    "while :; do if [ -s /say ]; then cat /say; : > /say; fi; sleep 1; done",
)


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    return sqlite_url


async def _local_container(hub: RunningHub, engine: DockerEngine, command: tuple[str, ...] = CHATTY) -> tuple[str, str]:
    """A container on the hub's engine, inventoried by self-monitoring: its API id and name."""
    name = f"chatty-{uuid.uuid4().hex[:8]}"
    engine_id = engine.run(name, command=command)
    monitor = SelfMonitor(hub.hub)
    try:
        await monitor.step()
    finally:
        await monitor.aclose()
    return public_id((await own_agent(hub.hub)).agent_id, engine_id), name


async def _logs(hub: RunningHub, container: str, **params: str) -> Any:
    response = await hub.admin.get(f"/api/v1/containers/{container}/logs", params=params)
    assert response.status_code == 200, response.text
    return response.json()


async def _all_four(hub: RunningHub, container: str) -> list[dict[str, Any]]:
    for _ in range(100):
        body = await _logs(hub, container)
        if len(body["items"]) >= 4:
            return list(body["items"])
        await asyncio.sleep(0.1)
    raise AssertionError(f"the container did not write its lines: {body}")


async def test_logs_of_a_local_container_have_both_streams_with_times_and_filter(
    start_hub: StartHub, docker_engine: DockerEngine
) -> None:
    async with start_hub(docker_host=docker_engine.host) as hub:
        container, _ = await _local_container(hub, docker_engine)
        lines = await _all_four(hub, container)
        # The two pipes race within a second; the second later, each pipe's lines in order.
        assert {(line["stream"], line["text"]) for line in lines[:2]} == {("stdout", "out-1"), ("stderr", "err-1")}
        assert {(line["stream"], line["text"]) for line in lines[2:]} == {("stdout", "out-2"), ("stderr", "err-2")}
        assert all(line["at"].endswith("Z") and "T" in line["at"] for line in lines)
        assert [line["at"] for line in lines] == sorted(line["at"] for line in lines)
        assert (await _logs(hub, container))["source"] == "engine"
        assert (await _logs(hub, container))["pending"] is False

        tail = await _logs(hub, container, tail="2")
        assert {line["text"] for line in tail["items"]} == {"out-2", "err-2"}
        errors = await _logs(hub, container, stream="stderr")
        assert [line["text"] for line in errors["items"]] == ["err-1", "err-2"]
        last_error = await _logs(hub, container, stream="stderr", tail="1")
        assert [line["text"] for line in last_error["items"]] == ["err-2"]
        output = await _logs(hub, container, stream="stdout", tail="1")
        assert [line["text"] for line in output["items"]] == ["out-2"]
        since = await _logs(hub, container, since=lines[2]["at"])
        assert {line["text"] for line in since["items"]} == {"out-2", "err-2"}
        # epoch seconds, as well as RFC 3339
        assert len((await _logs(hub, container, since="0"))["items"]) == 4
        assert (await _logs(hub, container, since="4102444800"))["items"] == []


async def test_the_log_stream_delivers_a_line_written_after_it_connected(
    start_hub: StartHub, docker_engine: DockerEngine
) -> None:
    async with start_hub(docker_host=docker_engine.host, sse_keepalive_seconds=0.3) as hub:
        container, name = await _local_container(hub, docker_engine)
        await _all_four(hub, container)
        streams = hub.app.state.event_streams
        path = f"/api/v1/containers/{container}/logs/stream"
        async with open_stream(hub.url, hub.admin_key, path=path, params={"tail": "2"}) as stream:
            first = [await stream.next(), await stream.next()]
            assert {(f.event, f.data["text"]) for f in first} == {("log", "out-2"), ("log", "err-2")}
            docker_engine.docker("exec", name, "/bin/sh", "-c", "echo written-later > /say")
            frame = await stream.next(timeout=30)
            assert (frame.event, frame.data["stream"], frame.data["text"]) == ("log", "stdout", "written-later")
            assert frame.data["at"].endswith("Z")
            assert len(streams.clients) == 1
            # A quiet stream sends keep-alives
            async with open_stream(hub.url, hub.admin_key, path=path, params={"tail": "0"}) as quiet:
                async with asyncio.timeout(15):
                    async for line in quiet.response.aiter_lines():
                        if line == ": keep-alive":
                            break
            # The container stopped, the engine ends the stream: so does the hub
            docker_engine.docker("kill", name)
            end = await stream.next(timeout=30)
            assert (end.event, end.data) == ("end", {"reason": "the container stopped"})
        # The clients gone, their streams ended
        for _ in range(100):
            if not streams.clients:
                break
            await asyncio.sleep(0.05)
        assert streams.clients == set()


async def test_log_errors_name_the_field_and_an_unknown_container_is_not_found(
    start_hub: StartHub, docker_engine: DockerEngine
) -> None:
    async with start_hub(docker_host=docker_engine.host) as hub:
        container, _ = await _local_container(hub, docker_engine)
        for params, field in [
            ({"tail": "many"}, "tail"),
            ({"tail": "5001"}, "tail"),
            ({"tail": "-1"}, "tail"),
            ({"since": "yesterday"}, "since"),
            ({"since": "2026-01-01T00:00:00"}, "since"),
            ({"stream": "stdin"}, "stream"),
        ]:
            for suffix in ("logs", "logs/stream"):
                response = await hub.admin.get(f"/api/v1/containers/{container}/{suffix}", params=params)
                assert response.status_code == 400, (params, response.text)
                assert response.json()["error"]["field"] == field
        for suffix in ("logs", "logs/stream"):
            response = await hub.admin.get(f"/api/v1/containers/ctr_000000000000000000000000/{suffix}")
            assert response.status_code == 404, response.text


async def test_an_engine_that_does_not_answer_is_a_service_unavailable_error(
    start_hub: StartHub, docker_engine: DockerEngine, tmp_path: Path
) -> None:
    async with start_hub(docker_host=docker_engine.host) as hub:
        container, _ = await _local_container(hub, docker_engine)
    async with start_hub(docker_host=f"unix://{tmp_path / 'gone.sock'}") as hub:
        for suffix in ("logs", "logs/stream"):
            response = await hub.admin.get(f"/api/v1/containers/{container}/{suffix}")
            assert response.status_code == 503, response.text
            assert "Docker engine" in response.json()["error"]["message"]
