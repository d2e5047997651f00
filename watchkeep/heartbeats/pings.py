"""The ping path: recording a ping stores it, moves the monitor's state, pairs the run's
execution and logs the state change's events in the same transaction; they are published
once it has committed."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from watchkeep.core.events import Event, HeartbeatFailed, HeartbeatPinged, HeartbeatRecovered
from watchkeep.core.events.log import append
from watchkeep.core.hub import Hub
from watchkeep.heartbeats import repository as repo
from watchkeep.heartbeats.repository import PingRows
from watchkeep.heartbeats.schedule import armed_deadlines, due_after

Monitor = Mapping[str, Any]


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


async def record_flip(rows: PingRows, heartbeat_id: str, at_ms: int, old: str, new: str, reason: str) -> None:
    """Keep the state changes uptime is computed from (into and out of down and paused)."""
    if uptime_class(old) != uptime_class(new):
        await rows.insert_flip(
            {"heartbeat_id": heartbeat_id, "at": at_ms, "from_status": old, "to_status": new, "reason": reason},
        )


@dataclass(slots=True)
class _Waiting:
    ping: Ping
    at_ms: int
    future: asyncio.Future[list[Event] | None]


class PingRecorder:
    """Records pings. Pings that arrive together are written by one unit of work, so they
    share the cost of a commit and the ping path keeps up with thousands of pings a second
    on one process; a batch that fails is written again ping by ping, so a bad ping fails
    alone."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self._waiting: list[_Waiting] = []
        self._flushes: set[asyncio.Task[None]] = set()

    async def record(self, ping: Ping) -> bool:
        """Record `ping` once committed; False when no monitor has its uuid (nothing is
        written then). Its events are published after the commit."""
        loop = asyncio.get_running_loop()
        waiting = _Waiting(ping, self.hub.clock.now_ms(), loop.create_future())
        self._waiting.append(waiting)
        if len(self._waiting) == 1:
            # Starts on the next turn of the loop, once the pings read in this turn have joined.
            task = loop.create_task(self._flush())
            self._flushes.add(task)
            task.add_done_callback(self._flushes.discard)
        events = await waiting.future
        if events is None:
            return False
        if events:
            await self.hub.bus.publish(*events)
        return True

    async def _flush(self) -> None:
        batch, self._waiting = self._waiting, []
        # One lock order for every batch, so batches of two replicas never deadlock.
        batch.sort(key=lambda waiting: waiting.ping.uuid)
        results: list[list[Event] | BaseException | None]
        try:
            results = list(await self.hub.store.write(_unit(batch)))
        except Exception:
            # The batch was rolled back as a whole: write each ping alone, so a ping that
            # fails fails alone.
            results = []
            for waiting in batch:
                try:
                    results.extend(await self.hub.store.write(_unit([waiting])))
                except Exception as exc:
                    results.append(exc)
        for waiting, result in zip(batch, results, strict=True):
            if isinstance(result, BaseException):
                waiting.future.set_exception(result)
            else:
                waiting.future.set_result(result)


def _unit(batch: list[_Waiting]) -> Callable[[AsyncConnection], Awaitable[list[list[Event] | None]]]:
    async def unit(conn: AsyncConnection) -> list[list[Event] | None]:
        rows = await repo.ping_rows(conn)
        results = [await _record(rows, waiting.ping, waiting.at_ms) for waiting in batch]
        # The state changes' events go to the log last, in one go (see core/events/log.py).
        logged = iter(await append(conn, [event for events in results if events for event in events]))
        return [None if events is None else [next(logged) for _ in events] for events in results]

    return unit


async def _record(rows: PingRows, ping: Ping, now: int) -> list[Event] | None:
    monitor = await rows.monitor(ping.uuid)
    if monitor is None:
        return None
    return await _apply(rows, monitor, ping, now)


def _is_ignored(monitor: Monitor, ping: Ping) -> bool:
    if monitor["methods"] == "POST" and ping.method != "POST":
        return True
    return monitor["status"] == "paused" and bool(monitor["manual_resume"]) and ping.kind != "log"


async def _apply(rows: PingRows, monitor: Monitor, ping: Ping, now: int) -> list[Event]:
    heartbeat_id: str = monitor["id"]
    count = int(monitor["ping_count"]) + 1
    ignored = _is_ignored(monitor, ping)
    await rows.insert_ping(
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
        await rows.update_monitor(heartbeat_id, values)
        return []
    events: list[Event] = [
        HeartbeatPinged(
            heartbeat_id=heartbeat_id, name=monitor["name"], kind=ping.kind, exit_code=ping.exit_code, at_ms=now
        )
    ]
    if ping.kind == "log":
        await rows.update_monitor(heartbeat_id, values)
        return events
    old: str = monitor["status"]
    if ping.kind == "start":
        new = await _start(rows, monitor, ping, now, values)
    else:
        new = await _finish(rows, monitor, ping, now, values)
    values["status"] = new
    await rows.update_monitor(heartbeat_id, values)
    await record_flip(rows, heartbeat_id, now, old, new, f"{ping.kind} ping")
    if new == "down" and old != "down":
        events.append(
            HeartbeatFailed(heartbeat_id=heartbeat_id, name=monitor["name"], exit_code=ping.exit_code, at_ms=now)
        )
    elif old == "down" and new == "up":
        events.append(HeartbeatRecovered(heartbeat_id=heartbeat_id, name=monitor["name"], at_ms=now))
    return events


async def _start(rows: PingRows, monitor: Monitor, ping: Ping, now: int, values: dict[str, Any]) -> str:
    await rows.insert_execution(
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


async def _finish(rows: PingRows, monitor: Monitor, ping: Ping, now: int, values: dict[str, Any]) -> str:
    success = ping.kind == "success"
    outcome = "success" if success else "failure"
    run = None
    if ping.rid is not None or monitor["last_start_at"] is not None:
        run = await rows.open_execution(monitor["id"], ping.rid)
    duration: int | None = None
    if run is not None:
        duration = max(0, now - int(run["started_at"]))
        await rows.update_execution(
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
        await rows.insert_execution(
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
