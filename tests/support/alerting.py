"""Helpers for tests of alerts and notifications: raising conditions the way monitors do
(events in the hub's log) and running the delivery loop's steps."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import pytest
from sqlalchemy import func, select

from tests.support.events import record
from tests.support.hub import RunningHub
from tests.support.receiver import Receiver, running_receiver
from watchkeep.core.clock import FrozenClock
from watchkeep.core.events import AgentOffline, AgentOnline
from watchkeep.notify.tables import outbox
from watchkeep.notify.worker import OutboxWorker

QUIET_LOOPS: dict[str, Any] = {
    "allow_private_targets": True,
    "outbox_poll_seconds": 3600,
    "alerts_evaluate_seconds": 3600,
}


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    async with running_receiver() as running:
        yield running


@pytest.fixture
async def hub(
    start_hub: Callable[..., AbstractAsyncContextManager[RunningHub]], clock: FrozenClock
) -> AsyncIterator[RunningHub]:
    """A hub whose loops wait for the test: it runs their steps itself, at injected times."""
    async with start_hub(clock=clock, **QUIET_LOOPS) as running:
        yield running


def worker(running: RunningHub) -> OutboxWorker:
    outbox: OutboxWorker = running.app.state.notify.worker
    return outbox


async def deliver(running: RunningHub) -> None:
    """Run the delivery loop until it finds nothing more to do now. The hub's own loop makes
    one pass when it starts; wait for what that pass has in flight to settle too."""
    async with asyncio.timeout(30):
        while True:
            while await worker(running).step():
                pass
            async with running.hub.store.read() as conn:
                query = select(func.count()).select_from(outbox).where(outbox.c.status == "sending")
                if (await conn.execute(query)).scalar_one() == 0:
                    return
            await asyncio.sleep(0.01)


async def agent_offline(running: RunningHub, agent_id: str = "agt_1", name: str = "web-1") -> None:
    now = running.hub.clock.now_ms()
    await record(running, AgentOffline(agent_id=agent_id, name=name, last_seen_ms=None, at_ms=now))


async def agent_online(running: RunningHub, agent_id: str = "agt_1", name: str = "web-1") -> None:
    now = running.hub.clock.now_ms()
    await record(running, AgentOnline(agent_id=agent_id, name=name, last_seen_ms=None, at_ms=now))


async def create_channel(running: RunningHub, kind: str, config: dict[str, Any], name: str | None = None) -> str:
    response = await running.admin.post(
        "/api/v1/channels", json={"name": name or f"{kind} channel", "type": kind, "config": config}
    )
    assert response.status_code == 201, response.text
    channel_id: str = response.json()["id"]
    return channel_id


async def only_alert(running: RunningHub) -> dict[str, Any]:
    items: list[dict[str, Any]] = (await running.admin.get("/api/v1/alerts")).json()["items"]
    assert len(items) == 1
    return items[0]
