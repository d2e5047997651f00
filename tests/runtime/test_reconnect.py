"""The engine's stream drops (a unix-socket relay in front of the real engine cuts every
connection and refuses new ones): the hub keeps serving, says it no longer follows, and once
the engine answers again it reconnects and reconciles what changed meanwhile."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

import pytest

from tests.support.docker_engine import DockerEngine
from tests.support.hub import RunningHub
from tests.support.polling import eventually
from watchkeep.core.clock import FrozenClock

StartHub = Callable[..., AbstractAsyncContextManager[RunningHub]]


class Relay:
    """Forwards a unix socket to the engine's; `cut()` drops every connection and stops
    listening, `restore()` listens again."""

    def __init__(self, path: Path, target: Path) -> None:
        self.path, self.target = path, target
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def restore(self) -> None:
        self._server = await asyncio.start_unix_server(self._serve, str(self.path))

    async def cut(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        for writer in list(self._writers):
            writer.close()
        self._writers.clear()
        self.path.unlink(missing_ok=True)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_unix_connection(str(self.target))
        self._writers.update((writer, up_writer))

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            with contextlib.suppress(ConnectionError, OSError):
                while data := await source.read(65536):
                    sink.write(data)
                    await sink.drain()
            sink.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    return sqlite_url


@pytest.fixture
async def relay(tmp_path: Path, docker_engine: DockerEngine) -> AsyncIterator[Relay]:
    running = Relay(tmp_path / "relay.sock", docker_engine.socket)
    await running.restore()
    yield running
    await running.cut()


async def _status(hub: RunningHub) -> dict[str, Any]:
    body: dict[str, Any] = (await hub.admin.get("/api/v1/runtime/status")).json()
    return body


async def _named(hub: RunningHub, name: str, archived: bool) -> dict[str, Any] | None:
    params = {"archived": "true"} if archived else {}
    items = (await hub.admin.get("/api/v1/containers", params=params)).json()["items"]
    return next((item for item in items if item["name"] == name), None)


async def test_a_dropped_engine_is_followed_again_and_reconciled(
    start_hub: StartHub, clock: FrozenClock, docker_engine: DockerEngine, relay: Relay
) -> None:
    name = "wk-relay"
    async with start_hub(clock=clock, docker_host=f"unix://{relay.path}") as hub:
        await eventually(lambda: _following(hub), "followed")
        try:
            docker_engine.run(name)
            found = await eventually(lambda: _named(hub, name, False), "the container listed")
            await relay.cut()

            async def not_following() -> bool:
                status = await _status(hub)
                return not status["following"] and not status["connected"]

            await eventually(not_following, "the runtime off")
            clock.advance(1)
            docker_engine.docker("rm", "-f", name)
            await relay.restore()
            archived = await eventually(lambda: _named(hub, name, True), "archived after the reconnect")
            assert archived["id"] == found["id"]
            assert (await _status(hub))["following"] is True
        finally:
            docker_engine.docker("rm", "-f", name, check=False)


async def _following(hub: RunningHub) -> bool:
    return bool((await _status(hub))["following"])
