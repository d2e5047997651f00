"""`updateExclusions`: the image update exclusions. An exclusion has no name of its own: its
image glob and tag glob together are what import matches it by; a changed reason is updated
in place. Pins name containers by ids that belong to one hub, and are not part of the file."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from watchkeep.configfile.section import Item, Section, Stored
from watchkeep.core.events import Event
from watchkeep.updates import repository as repo
from watchkeep.updates.schemas import ExclusionWrite
from watchkeep.updates.service import add_exclusion, remove_exclusion


class UpdateExclusionsSection(Section):
    key = "updateExclusions"
    name_field = "image"

    def name_of(self, item: Item) -> str:
        return f"{item['image']}:{item['tag']}" if item.get("tag") else str(item["image"])

    @staticmethod
    def _canonical(body: ExclusionWrite) -> Item:
        return {"image": body.image, "tag": body.tag, "reason": body.reason}

    async def stored(self, conn: AsyncConnection) -> list[Stored]:
        return [
            Stored(e.id, self._canonical(ExclusionWrite(image=e.image, tag=e.tag, reason=e.reason)))
            for e in await repo.exclusions(conn)
        ]

    async def checked(self, raw: Item) -> Item:
        return self._canonical(ExclusionWrite.model_validate(raw))

    async def create(self, conn: AsyncConnection, item: Item) -> list[Event]:
        _, events = await add_exclusion(conn, item["image"], item["tag"], item["reason"], self.hub.clock.now_ms())
        return events

    async def update(self, conn: AsyncConnection, stored: Stored, item: Item) -> list[Event]:
        await repo.update_exclusion(conn, stored.id, {"reason": item["reason"]})
        return []

    async def delete(self, conn: AsyncConnection, stored: Stored) -> list[Event]:
        await remove_exclusion(conn, stored.id)
        return []
