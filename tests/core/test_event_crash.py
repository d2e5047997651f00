"""A hub killed right after a heartbeat's down-flip has committed, before anything reacted
to it, reacts once it is back: the alert is raised and notified exactly once and the webhook
delivered exactly once. On SQLite and on PostgreSQL, with real `watchkeep serve` processes."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections import Counter
from pathlib import Path

import httpx2
from sqlalchemy import func, select

from tests.support.process import ServeProcess, admin_session, start_serve
from tests.support.receiver import Receiver, running_receiver
from watchkeep.alerts.tables import alerts
from watchkeep.core.db import Store
from watchkeep.core.events.bus import KILL_AFTER_ENV
from watchkeep.core.events.tables import event_log
from watchkeep.heartbeats.tables import heartbeats
from watchkeep.notify.tables import outbox

FAST = {
    "WATCHKEEP_ALLOW_PRIVATE_TARGETS": "true",
    "WATCHKEEP_OUTBOX_POLL_SECONDS": "0.1",
    "WATCHKEEP_EVENT_POLL_SECONDS": "0.2",
}
DOOMED = {
    **FAST,
    KILL_AFTER_ENV: "heartbeat.failed",
    # Only the wake-up after the commit could start a reaction before the kill, and the
    # consumers' leases the dead hub held run out soon after.
    "WATCHKEEP_EVENT_POLL_SECONDS": "60",
    "WATCHKEEP_EVENT_CONSUMER_LEASE_SECONDS": "1",
}


async def _set_up(serve: ServeProcess, receiver: Receiver) -> str:
    """A channel and a webhook subscription to the receiver, and a heartbeat; its ping uuid."""
    async with admin_session(serve) as admin:
        channel = await admin.post(
            "/api/v1/channels", json={"name": "ops", "type": "webhook", "config": {"url": f"{receiver.url}/channel"}}
        )
        assert channel.status_code == 201, channel.text
        hook = await admin.post(
            "/api/v1/webhooks",
            json={"name": "audit", "url": f"{receiver.url}/hook", "eventTypes": ["heartbeat.failed", "alert.fired"]},
        )
        assert hook.status_code == 201, hook.text
        created = await admin.post("/api/v1/heartbeats", json={"name": "backup"})
        assert created.status_code == 201, created.text
        uuid: str = created.json()["uuid"]
        return uuid


async def _count(store: Store, table: object, *where: object) -> int:
    async with store.read() as conn:
        query = select(func.count()).select_from(table)  # type: ignore[arg-type]
        return int((await conn.execute(query.where(*where))).scalar_one())  # type: ignore[arg-type]


async def _crash_and_recover(database_url: str, tmp_path: Path) -> None:
    async with running_receiver() as receiver:
        first = start_serve(tmp_path, database_url, name="first", env=DOOMED)
        try:
            await asyncio.to_thread(first.wait_healthy)
            uuid = await _set_up(first, receiver)
            async with httpx2.AsyncClient(timeout=10) as client:
                with contextlib.suppress(httpx2.HTTPError):  # the hub dies before it answers
                    await client.get(f"{first.url}/ping/{uuid}/fail")
            assert await asyncio.to_thread(first.process.wait, 30) == -signal.SIGKILL
        finally:
            first.terminate()

        store = Store(database_url)
        await store.start()
        try:
            # The down-flip and its event committed; nothing reacted to it.
            assert await _count(store, heartbeats, heartbeats.c.status == "down") == 1
            assert await _count(store, event_log, event_log.c.type == "heartbeat.failed") == 1
            assert await _count(store, alerts) == 0
            assert await _count(store, outbox) == 0

            second = start_serve(tmp_path, database_url, name="second", env=FAST)
            try:
                await asyncio.to_thread(second.wait_healthy)
                # One channel message (the alert) and two webhook deliveries (the failure, the alert).
                await receiver.wait_for(3, timeout=30)
                # Give the loops time to show any repeat.
                await asyncio.sleep(1.5)
                async with admin_session(second) as admin:
                    items = (await admin.get("/api/v1/alerts")).json()["items"]
            finally:
                second.terminate()
        finally:
            await store.close()

    assert [(a["type"], a["status"]) for a in items] == [("heartbeat_failed", "active")]
    by_path = Counter(r.path for r in receiver.requests)
    assert by_path == {"/channel": 1, "/hook": 2}
    hooks = [r.json() for r in receiver.requests if r.path == "/hook"]
    assert sorted(h["type"] for h in hooks) == ["alert.fired", "heartbeat.failed"]
    assert len({r.headers["x-watchkeep-delivery"] for r in receiver.requests}) == 3


async def test_a_hub_killed_after_a_down_flip_reacts_once_on_sqlite(sqlite_url: str, tmp_path: Path) -> None:
    await _crash_and_recover(sqlite_url, tmp_path)


async def test_a_hub_killed_after_a_down_flip_reacts_once_on_postgresql(postgres_url: str, tmp_path: Path) -> None:
    await _crash_and_recover(postgres_url, tmp_path)
