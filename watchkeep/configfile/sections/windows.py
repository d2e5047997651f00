"""`maintenanceWindows`: one-off and recurring windows that hold notifications back."""

from __future__ import annotations

import json

from sqlalchemy.ext.asyncio import AsyncConnection

from watchkeep.alerts import repository as repo
from watchkeep.alerts.schemas import WindowIn
from watchkeep.alerts.service import AlertService
from watchkeep.alerts.silences import new_window, window_values
from watchkeep.configfile.section import Item, Section, Stored
from watchkeep.core.clock import rfc3339
from watchkeep.core.events import Event


class WindowsSection(Section):
    key = "maintenanceWindows"

    async def stored(self, conn: AsyncConnection) -> list[Stored]:
        found = []
        for row in await repo.list_windows(conn):
            fields = {
                "name": row["name"],
                "matchers": json.loads(row["matchers"]),
                "startsAt": rfc3339(row["starts_at"]),
                "endsAt": rfc3339(row["ends_at"]),
                "cron": row["cron"],
                "durationSeconds": row["duration_seconds"],
                "timezone": row["timezone"],
                "comment": row["comment"],
            }
            found.append(Stored(row["id"], await self.checked(fields)))
        return found

    async def checked(self, raw: Item) -> Item:
        body = WindowIn.model_validate(raw)
        window_values(body)
        return body.model_dump(by_alias=True, mode="json")

    async def create(self, conn: AsyncConnection, item: Item) -> list[Event]:
        await repo.insert_window(conn, new_window(WindowIn.model_validate(item), self.author, self.hub.clock.now_ms()))
        return []

    async def update(self, conn: AsyncConnection, stored: Stored, item: Item) -> list[Event]:
        await repo.update_window(conn, stored.id, window_values(WindowIn.model_validate(item)))
        return []

    async def delete(self, conn: AsyncConnection, stored: Stored) -> list[Event]:
        await repo.delete_window(conn, stored.id)
        return []

    async def committed(self) -> None:
        await AlertService(self.hub).evaluate()
