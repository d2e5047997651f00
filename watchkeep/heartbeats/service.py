"""Heartbeat monitors: create, read, replace, delete, pause and resume; their pings,
executions and daily uptime. No HTTP, no SQL."""

from __future__ import annotations

import uuid as uuidlib
from typing import Any

from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from watchkeep.core.errors import conflict, not_found
from watchkeep.core.hub import Hub
from watchkeep.core.ids import new_id
from watchkeep.heartbeats import repository as repo
from watchkeep.heartbeats.pings import record_flip
from watchkeep.heartbeats.schedule import armed_deadlines
from watchkeep.heartbeats.uptime import DayUptime, daily_uptime


def _rearmed(monitor: dict[str, Any]) -> dict[str, Any]:
    """Deadlines recomputed from the stored facts after the schedule changed."""
    if monitor["status"] == "up" and monitor["last_ping_at"] is not None:
        due, down = armed_deadlines(monitor, monitor["last_ping_at"])
        return {"next_deadline_at": due, "down_at": down}
    if monitor["status"] == "started" and monitor["last_start_at"] is not None:
        return {"down_at": monitor["last_start_at"] + monitor["grace_seconds"] * 1000}
    return {}


def new_heartbeat(fields: dict[str, Any], now: int) -> dict[str, Any]:
    """The row of a new monitor with the writable `fields` (HeartbeatWrite.to_row())."""
    return {
        **fields,
        "id": new_id("hb"),
        "uuid": str(uuidlib.uuid4()),
        "status": "new",
        "created_at": now,
        "updated_at": now,
        "ping_count": 0,
    }


async def replace_heartbeat(conn: AsyncConnection, heartbeat_id: str, fields: dict[str, Any], now: int) -> None:
    """Replace the writable fields, rearming the deadlines for the new schedule."""
    current = await repo.heartbeat_by_id(conn, heartbeat_id, lock=True)
    if current is None:
        raise not_found("Heartbeat", heartbeat_id)
    merged = {**current, **fields}
    await repo.update_heartbeat(conn, heartbeat_id, {**fields, **_rearmed(merged), "updated_at": now})


class HeartbeatService:
    def __init__(self, hub: Hub) -> None:
        self.hub = hub

    async def _load(self, conn: AsyncConnection, heartbeat_id: str, *, lock: bool = False) -> RowMapping:
        row = await repo.heartbeat_by_id(conn, heartbeat_id, lock=lock)
        if row is None:
            raise not_found("Heartbeat", heartbeat_id)
        return row

    async def list_all(self) -> list[RowMapping]:
        async with self.hub.store.read() as conn:
            return await repo.list_heartbeats(conn)

    async def page_keys(
        self, *, search: str, statuses: list[str] | None, rank: dict[str, int], limit: int
    ) -> tuple[list[tuple[str, str, str]], dict[str, int]]:
        """(shown status, name, id) of the first `limit` monitors, worst first by `rank`,
        and the counts by shown status."""
        now = self.hub.clock.now_ms()
        async with self.hub.store.read() as conn:
            keys = await repo.page_keys(conn, now, search=search, statuses=statuses, rank=rank, limit=limit)
            counts = await repo.count_by_status(conn, now, search=search)
        return keys, counts

    async def by_ids(self, ids: list[str]) -> list[RowMapping]:
        async with self.hub.store.read() as conn:
            return await repo.heartbeats_by_ids(conn, ids)

    async def get(self, heartbeat_id: str) -> RowMapping:
        async with self.hub.store.read() as conn:
            return await self._load(conn, heartbeat_id)

    async def create(self, fields: dict[str, Any]) -> RowMapping:
        row = new_heartbeat(fields, self.hub.clock.now_ms())
        heartbeat_id = row["id"]

        async def unit(conn: AsyncConnection) -> RowMapping:
            await repo.insert_heartbeat(conn, row)
            return await self._load(conn, heartbeat_id)

        return await self.hub.store.write(unit)

    async def replace(self, heartbeat_id: str, fields: dict[str, Any]) -> RowMapping:
        now = self.hub.clock.now_ms()

        async def unit(conn: AsyncConnection) -> RowMapping:
            await replace_heartbeat(conn, heartbeat_id, fields, now)
            return await self._load(conn, heartbeat_id)

        return await self.hub.store.write(unit)

    async def delete(self, heartbeat_id: str) -> None:
        async def unit(conn: AsyncConnection) -> int:
            return await repo.delete_heartbeat(conn, heartbeat_id)

        if not await self.hub.store.write(unit):
            raise not_found("Heartbeat", heartbeat_id)

    async def pause(self, heartbeat_id: str) -> RowMapping:
        """Stop deadline checking; a running start is forgotten. Pausing twice is harmless."""
        now = self.hub.clock.now_ms()

        async def unit(conn: AsyncConnection) -> RowMapping:
            current = await self._load(conn, heartbeat_id, lock=True)
            if current["status"] != "paused":
                values = {
                    "status": "paused",
                    "last_start_at": None,
                    "next_deadline_at": None,
                    "down_at": None,
                    "updated_at": now,
                }
                await repo.update_heartbeat(conn, heartbeat_id, values)
                await record_flip(repo.PingRows(conn), heartbeat_id, now, current["status"], "paused", "paused")
            return await self._load(conn, heartbeat_id)

        return await self.hub.store.write(unit)

    async def resume(self, heartbeat_id: str) -> RowMapping:
        """Checking starts again from now: `up` with a fresh deadline, or `new` when the
        monitor has never been pinged. 409 unless paused."""
        now = self.hub.clock.now_ms()

        async def unit(conn: AsyncConnection) -> RowMapping:
            current = await self._load(conn, heartbeat_id, lock=True)
            if current["status"] != "paused":
                raise conflict(f"Heartbeat {heartbeat_id} is not paused (it is {current['status']})", "status")
            values: dict[str, Any] = {"status": "new", "updated_at": now}
            if current["last_ping_at"] is not None:
                values["status"] = "up"
                values["next_deadline_at"], values["down_at"] = armed_deadlines(current, now)
            await repo.update_heartbeat(conn, heartbeat_id, values)
            await record_flip(repo.PingRows(conn), heartbeat_id, now, "paused", values["status"], "resumed")
            return await self._load(conn, heartbeat_id)

        return await self.hub.store.write(unit)

    async def executions(self, heartbeat_id: str, limit: int) -> list[RowMapping]:
        async with self.hub.store.read() as conn:
            await self._load(conn, heartbeat_id)
            return await repo.list_executions(conn, heartbeat_id, limit)

    async def pings(self, heartbeat_id: str, limit: int) -> list[RowMapping]:
        async with self.hub.store.read() as conn:
            await self._load(conn, heartbeat_id)
            return await repo.list_pings(conn, heartbeat_id, limit)

    async def timeline(self, heartbeat_id: str, limit: int) -> list[RowMapping]:
        """The monitor's latest status changes, newest first."""
        async with self.hub.store.read() as conn:
            await self._load(conn, heartbeat_id)
            flips = await repo.list_flips(conn, heartbeat_id)
        return flips[::-1][:limit]

    async def daily_uptime(self, heartbeat_id: str, days: int) -> list[DayUptime]:
        async with self.hub.store.read() as conn:
            monitor = await self._load(conn, heartbeat_id)
            flips = await repo.list_flips(conn, heartbeat_id)
        return daily_uptime(monitor["created_at"], flips, self.hub.clock.now_ms(), days)
