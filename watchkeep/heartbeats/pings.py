"""The ping path: one write unit records the ping, moves the monitor's state, pairs the
run's execution, and returns the events to publish once it has committed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from watchkeep.core.events import Event, HeartbeatFailed, HeartbeatPinged, HeartbeatRecovered
from watchkeep.core.hub import Hub
from watchkeep.heartbeats import repository as repo
from watchkeep.heartbeats.schedule import armed_deadlines, due_after


@dataclass(frozen=True, slots=True)
class Ping:
    uuid: str
    kind: str  # success | start | fail | log
    exit_code: int | None
    rid: str | None
    method: str
    source_ip: str
    user_agent: str
    body: bytes
    body_size: int


def uptime_class(status: str) -> str:
    """What a status counts as for uptime: down, paused, or up (new, up, started)."""
    return status if status in ("down", "paused") else "up"


async def record_flip(conn: AsyncConnection, heartbeat_id: str, at_ms: int, old: str, new: str, reason: str) -> None:
    """Keep the state changes uptime is computed from (into and out of down and paused)."""
    if uptime_class(old) != uptime_class(new):
        await repo.insert_flip(
            conn,
            {"heartbeat_id": heartbeat_id, "at": at_ms, "from_status": old, "to_status": new, "reason": reason},
        )


async def record_ping(hub: Hub, ping: Ping) -> bool:
    """Record `ping`; False when no monitor has its uuid (nothing is written then)."""
    now = hub.clock.now_ms()

    async def unit(conn: AsyncConnection) -> list[Event] | None:
        monitor = await repo.heartbeat_by_uuid(conn, ping.uuid)
        if monitor is None:
            return None
        return await _apply(conn, monitor, ping, now)

    events = await hub.store.write(unit)
    if events is None:
        return False
    if events:
        await hub.bus.publish(*events)
    return True


def _is_ignored(monitor: RowMapping, ping: Ping) -> bool:
    if monitor["methods"] == "POST" and ping.method != "POST":
        return True
    return monitor["status"] == "paused" and bool(monitor["manual_resume"]) and ping.kind != "log"


async def _apply(conn: AsyncConnection, monitor: RowMapping, ping: Ping, now: int) -> list[Event]:
    heartbeat_id: str = monitor["id"]
    count = int(monitor["ping_count"]) + 1
    ignored = _is_ignored(monitor, ping)
    await repo.insert_ping(
        conn,
        {
            "heartbeat_id": heartbeat_id,
            "n": count,
            "at": now,
            "kind": ping.kind,
            "ignored": ignored,
            "exit_code": ping.exit_code,
            "method": ping.method,
            "source_ip": ping.source_ip,
            "user_agent": ping.user_agent,
            "body": ping.body,
            "body_size": ping.body_size,
            "rid": ping.rid,
        },
    )
    values: dict[str, Any] = {"ping_count": count}
    if ignored:
        await repo.update_heartbeat(conn, heartbeat_id, values)
        return []
    events: list[Event] = [
        HeartbeatPinged(
            heartbeat_id=heartbeat_id, name=monitor["name"], kind=ping.kind, exit_code=ping.exit_code, at_ms=now
        )
    ]
    if ping.kind == "log":
        await repo.update_heartbeat(conn, heartbeat_id, values)
        return events
    old: str = monitor["status"]
    if ping.kind == "start":
        new = await _start(conn, monitor, ping, now, values)
    else:
        new = await _finish(conn, monitor, ping, now, values)
    values["status"] = new
    await repo.update_heartbeat(conn, heartbeat_id, values)
    await record_flip(conn, heartbeat_id, now, old, new, f"{ping.kind} ping")
    if new == "down" and old != "down":
        events.append(
            HeartbeatFailed(heartbeat_id=heartbeat_id, name=monitor["name"], exit_code=ping.exit_code, at_ms=now)
        )
    elif old == "down" and new == "up":
        events.append(HeartbeatRecovered(heartbeat_id=heartbeat_id, name=monitor["name"], at_ms=now))
    return events


async def _start(conn: AsyncConnection, monitor: RowMapping, ping: Ping, now: int, values: dict[str, Any]) -> str:
    await repo.insert_execution(
        conn,
        {
            "heartbeat_id": monitor["id"],
            "rid": ping.rid,
            "started_at": now,
            "outcome": "in_progress",
            "updated_at": now,
        },
    )
    values.update(last_ping_at=now, last_start_at=now)
    if monitor["status"] == "down":
        # A run began, but the monitor stays down until one succeeds.
        return "down"
    values["down_at"] = now + int(monitor["grace_seconds"]) * 1000
    return "started"


async def _finish(conn: AsyncConnection, monitor: RowMapping, ping: Ping, now: int, values: dict[str, Any]) -> str:
    success = ping.kind == "success"
    outcome = "success" if success else "failure"
    run = None
    if ping.rid is not None or monitor["last_start_at"] is not None:
        run = await repo.open_execution(conn, monitor["id"], ping.rid)
    duration: int | None = None
    if run is not None:
        duration = max(0, now - int(run["started_at"]))
        await repo.update_execution(
            conn,
            run["id"],
            {
                "finished_at": now,
                "duration_ms": duration,
                "exit_code": ping.exit_code,
                "outcome": outcome,
                "updated_at": now,
            },
        )
    else:
        await repo.insert_execution(
            conn,
            {
                "heartbeat_id": monitor["id"],
                "rid": ping.rid,
                "finished_at": now,
                "exit_code": ping.exit_code,
                "outcome": outcome,
                "updated_at": now,
            },
        )
    values.update(last_ping_at=now, last_start_at=None, last_exit_code=ping.exit_code, last_duration_ms=duration)
    if success:
        values["next_deadline_at"], values["down_at"] = armed_deadlines(monitor, now)
        return "up"
    values.update(next_deadline_at=due_after(monitor, now), down_at=None)
    return "down"
