"""Events are published after their change has committed, one per change."""

from __future__ import annotations

from sqlalchemy import select

from tests.heartbeats.conftest import Heartbeats
from watchkeep.core.events import Event
from watchkeep.heartbeats.tables import heartbeats as heartbeats_table


async def test_a_subscriber_sees_the_committed_change_its_event_reports(heartbeats: Heartbeats) -> None:
    hub = heartbeats.running.hub
    seen: list[tuple[str, str]] = []

    async def on_event(event: Event) -> None:
        query = select(heartbeats_table.c.status).where(heartbeats_table.c.id == event.data()["heartbeat_id"])
        async with hub.store.read() as conn:  # a separate connection: only committed rows
            seen.append((event.type, (await conn.execute(query)).scalar_one()))

    hub.bus.subscribe(on_event)
    monitor = await heartbeats.create()
    await heartbeats.ping(monitor["uuid"], "/1")
    await heartbeats.ping(monitor["uuid"], "/0")
    heartbeats.clock.advance(5000)
    await heartbeats.worker.step()
    assert seen == [
        ("heartbeat.pinged", "down"),
        ("heartbeat.failed", "down"),
        ("heartbeat.pinged", "up"),
        ("heartbeat.recovered", "up"),
        ("heartbeat.deadline_missed", "down"),
    ]
