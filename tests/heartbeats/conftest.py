"""Heartbeat tests: a real hub on loopback whose time is a FrozenClock, an admin client,
the events the hub published, and the hub's own deadlines worker driven step by step."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx2
import pytest

from tests.support.hub import RunningHub, running_hub
from watchkeep.app import create_app
from watchkeep.core.clock import FrozenClock
from watchkeep.core.config import Settings
from watchkeep.core.events import Event
from watchkeep.heartbeats.worker import DeadlineWorker

START = datetime(2026, 11, 10, 10, 0, tzinfo=UTC)
# The hub's own deadlines loop waits this long between steps: tests step it themselves.
QUIET = {"heartbeat_deadline_interval_seconds": 300}


@pytest.fixture
def database_url(request: pytest.FixtureRequest) -> str:
    """SQLite: heartbeat behaviour is the same on both stores. A test marked `BOTH_STORES`
    runs on each."""
    kind = getattr(request, "param", "sqlite")
    url: str = request.getfixturevalue({"sqlite": "sqlite_url", "postgresql": "postgres_url"}[kind])
    return url


BOTH_STORES = pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(START)


@dataclass
class Heartbeats:
    running: RunningHub
    clock: FrozenClock
    events: list[Event] = field(default_factory=list)

    @property
    def api(self) -> httpx2.AsyncClient:
        return self.running.admin

    @property
    def worker(self) -> DeadlineWorker:
        worker: DeadlineWorker = self.running.app.state.heartbeat_deadlines
        return worker

    async def create(self, **fields: Any) -> dict[str, Any]:
        body = {"name": "backup", "periodSeconds": 3600, "graceSeconds": 600, **fields}
        response = await self.api.post("/api/v1/heartbeats", json=body)
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created

    async def get(self, heartbeat_id: str) -> dict[str, Any]:
        response = await self.api.get(f"/api/v1/heartbeats/{heartbeat_id}")
        assert response.status_code == 200, response.text
        got: dict[str, Any] = response.json()
        return got

    async def ping(self, uuid: str, suffix: str = "", method: str = "GET", **kwargs: Any) -> httpx2.Response:
        client = self.running.client()
        return await client.request(method, f"/ping/{uuid}{suffix}", **kwargs)

    async def status(self, heartbeat_id: str) -> str:
        return str((await self.get(heartbeat_id))["status"])

    async def list_of(self, heartbeat_id: str, what: str) -> list[dict[str, Any]]:
        response = await self.api.get(f"/api/v1/heartbeats/{heartbeat_id}/{what}")
        assert response.status_code == 200, response.text
        items: list[dict[str, Any]] = response.json()
        return items

    def of_type(self, event_type: str) -> list[Event]:
        return [e for e in self.events if e.type == event_type]


def serve_recording(
    settings: Settings, clock: FrozenClock, events: list[Event]
) -> AbstractAsyncContextManager[RunningHub]:
    """A hub whose published events are appended to `events`, from its very first step."""
    app = create_app(settings, clock=clock)

    async def record(event: Event) -> None:
        events.append(event)

    app.state.hub.bus.subscribe(record)
    return running_hub(settings, clock=clock, app=app)


@pytest.fixture
async def heartbeats(
    database_url: str, settings_for: Callable[..., Settings], clock: FrozenClock
) -> AsyncIterator[Heartbeats]:
    events: list[Event] = []
    async with serve_recording(settings_for(database_url, **QUIET), clock, events) as running:
        heartbeats = Heartbeats(running, clock, events)
        await heartbeats.worker.caught_up.wait()  # its first step, at start, is done
        yield heartbeats
