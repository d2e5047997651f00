"""Endpoint tests: a real hub on loopback whose time is a FrozenClock and whose scheduler is
driven step by step, and the events it published."""

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
from watchkeep.endpoints.worker import EndpointScheduler

START = datetime(2026, 11, 10, 10, 0, tzinfo=UTC)
# The hub's own loops wait this long between steps: tests step the scheduler themselves.
QUIET = {"endpoint_poll_seconds": 60, "alerts_evaluate_seconds": 300}


@pytest.fixture
def database_url(request: pytest.FixtureRequest) -> str:
    """SQLite: endpoint behaviour is the same on both stores. A test marked `BOTH_STORES`
    runs on each."""
    kind = getattr(request, "param", "sqlite")
    url: str = request.getfixturevalue({"sqlite": "sqlite_url", "postgresql": "postgres_url"}[kind])
    return url


BOTH_STORES = pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(START)


@dataclass
class Endpoints:
    running: RunningHub
    clock: FrozenClock
    events: list[Event] = field(default_factory=list)

    @property
    def api(self) -> httpx2.AsyncClient:
        return self.running.admin

    @property
    def scheduler(self) -> EndpointScheduler:
        scheduler: EndpointScheduler = self.running.app.state.endpoint_scheduler
        return scheduler

    async def create(self, **fields: Any) -> dict[str, Any]:
        response = await self.api.post("/api/v1/endpoints", json={"name": "web", **fields})
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created

    async def get(self, endpoint_id: str) -> dict[str, Any]:
        response = await self.api.get(f"/api/v1/endpoints/{endpoint_id}")
        assert response.status_code == 200, response.text
        got: dict[str, Any] = response.json()
        return got

    async def check(self, endpoint_id: str) -> dict[str, Any]:
        """Move time to the endpoint's next due time, run the due checks, and return its
        newest result."""
        endpoint = await self.get(endpoint_id)
        due = datetime.fromisoformat(endpoint["nextCheckAt"].replace("Z", "+00:00"))
        if due > self.clock.now():
            self.clock.set(due)
        await self.scheduler.step()
        await self.scheduler.drain()
        results = await self.results(endpoint_id)
        return results[0]

    async def results(self, endpoint_id: str) -> list[dict[str, Any]]:
        response = await self.api.get(f"/api/v1/endpoints/{endpoint_id}/checks")
        assert response.status_code == 200, response.text
        items: list[dict[str, Any]] = response.json()
        return items

    def of_type(self, event_type: str) -> list[Event]:
        return [e for e in self.events if e.type == event_type]


def serve_recording(
    settings: Settings, clock: FrozenClock, events: list[Event]
) -> AbstractAsyncContextManager[RunningHub]:
    app = create_app(settings, clock=clock)

    async def record(event: Event) -> None:
        events.append(event)

    app.state.hub.bus.subscribe(record)
    return running_hub(settings, clock=clock, app=app)


@pytest.fixture
async def endpoints(
    database_url: str, settings_for: Callable[..., Settings], clock: FrozenClock
) -> AsyncIterator[Endpoints]:
    events: list[Event] = []
    async with serve_recording(settings_for(database_url, **QUIET), clock, events) as running:
        yield Endpoints(running, clock, events)


from tests.support.docker_engine import docker_engine  # noqa: E402

__all__ = ["docker_engine"]
