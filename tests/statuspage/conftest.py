"""Status page tests: a real hub on loopback (FrozenClock time), with helpers to make
heartbeats and ping them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import pytest

from tests.support.hub import RunningHub
from watchkeep.core.clock import FrozenClock

FAST = {"event_poll_seconds": 0.1, "status_page_refresh_seconds": 0.5}


@pytest.fixture
def database_url(request: pytest.FixtureRequest) -> str:
    """SQLite; a test marked `BOTH_STORES` runs on PostgreSQL too."""
    kind = getattr(request, "param", "sqlite")
    url: str = request.getfixturevalue({"sqlite": "sqlite_url", "postgresql": "postgres_url"}[kind])
    return url


BOTH_STORES = pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)


@pytest.fixture
async def status_hub(
    start_hub: Callable[..., AbstractAsyncContextManager[RunningHub]], clock: FrozenClock
) -> AsyncIterator[RunningHub]:
    async with start_hub(clock=clock, **FAST) as running:
        yield running


async def make_heartbeat(hub: RunningHub, name: str, **fields: Any) -> dict[str, Any]:
    response = await hub.admin.post("/api/v1/heartbeats", json={"name": name, "periodSeconds": 600, **fields})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def ping(hub: RunningHub, heartbeat: dict[str, Any], suffix: str = "", body: bytes = b"") -> None:
    response = await hub.client().post(f"/ping/{heartbeat['uuid']}{suffix}", content=body)
    assert response.status_code == 200, response.text
