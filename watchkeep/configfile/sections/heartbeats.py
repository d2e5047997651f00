"""`heartbeats`: cron-job monitors, as POST /api/v1/heartbeats takes them."""

from __future__ import annotations

import json

from sqlalchemy.ext.asyncio import AsyncConnection

from watchkeep.configfile.section import Item, Section, Stored
from watchkeep.core.events import Event
from watchkeep.heartbeats import repository as repo
from watchkeep.heartbeats.schemas import HeartbeatWrite
from watchkeep.heartbeats.service import new_heartbeat, replace_heartbeat


class HeartbeatsSection(Section):
    key = "heartbeats"

    async def stored(self, conn: AsyncConnection) -> list[Stored]:
        found = []
        for row in await repo.list_heartbeats(conn):
            fields = {
                "name": row["name"],
                "kind": row["kind"],
                "periodSeconds": row["period_seconds"],
                "graceSeconds": row["grace_seconds"],
                "cron": row["cron"],
                "timezone": row["timezone"],
                "methods": row["methods"],
                "manualResume": bool(row["manual_resume"]),
                "tags": json.loads(row["tags"]),
                "description": row["description"],
            }
            found.append(Stored(row["id"], await self.checked(fields)))
        return found

    async def checked(self, raw: Item) -> Item:
        return HeartbeatWrite.model_validate(raw).model_dump(by_alias=True, mode="json")

    async def create(self, conn: AsyncConnection, item: Item) -> list[Event]:
        await repo.insert_heartbeat(conn, new_heartbeat(self._fields(item), self.hub.clock.now_ms()))
        return []

    async def update(self, conn: AsyncConnection, stored: Stored, item: Item) -> list[Event]:
        await replace_heartbeat(conn, stored.id, self._fields(item), self.hub.clock.now_ms())
        return []

    async def delete(self, conn: AsyncConnection, stored: Stored) -> list[Event]:
        await repo.delete_heartbeat(conn, stored.id)
        return []

    @staticmethod
    def _fields(item: Item) -> dict[str, object]:
        return HeartbeatWrite.model_validate(item).to_row()
