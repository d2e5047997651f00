"""`silences`: the silences not yet ended (in force, or starting later). A silence has no
name of its own: its comment, which the API requires, is what import matches it by. A
changed silence is ended and made again (silences are not edited in place); a pruned one
ends now."""

from __future__ import annotations

import json

from sqlalchemy.ext.asyncio import AsyncConnection

from watchkeep.alerts import repository as repo
from watchkeep.alerts.schemas import SilenceIn
from watchkeep.alerts.service import AlertService
from watchkeep.alerts.silences import new_silence
from watchkeep.configfile.section import Item, Section, Stored
from watchkeep.core.clock import rfc3339
from watchkeep.core.errors import validation_error
from watchkeep.core.events import Event


class SilencesSection(Section):
    key = "silences"
    name_field = "comment"

    async def stored(self, conn: AsyncConnection) -> list[Stored]:
        found = []
        for row in await repo.current_silences(conn, self.hub.clock.now_ms()):
            fields = {
                "comment": row["comment"],
                "matchers": json.loads(row["matchers"]),
                "startsAt": rfc3339(row["starts_at"]),
                "endsAt": rfc3339(row["ends_at"]),
            }
            found.append(Stored(row["id"], self._canonical(SilenceIn.model_validate(fields))))
        return found

    @staticmethod
    def _canonical(body: SilenceIn) -> Item:
        item = body.model_dump(by_alias=True, mode="json", exclude={"duration_seconds"})
        return {"comment": item.pop("comment"), **item}

    async def checked(self, raw: Item) -> Item:
        body = SilenceIn.model_validate(raw)
        if body.duration_seconds is not None:
            # A duration would end the silence at a new time on every import.
            raise validation_error(
                "durationSeconds: a file gives endsAt, so importing it again changes nothing", "durationSeconds"
            )
        new_silence(body, self.author, self.hub.clock.now_ms())
        return self._canonical(body)

    def merged(self, stored: Item, item: Item) -> Item:
        # Left out, the start is when the silence was first made: now, then.
        return item if item["startsAt"] is not None else {**item, "startsAt": stored["startsAt"]}

    async def create(self, conn: AsyncConnection, item: Item) -> list[Event]:
        row, event = new_silence(SilenceIn.model_validate(item), self.author, self.hub.clock.now_ms())
        await repo.insert_silence(conn, row)
        return [event]

    async def update(self, conn: AsyncConnection, stored: Stored, item: Item) -> list[Event]:
        await repo.end_silence(conn, stored.id, self.hub.clock.now_ms())
        return await self.create(conn, item)

    async def delete(self, conn: AsyncConnection, stored: Stored) -> list[Event]:
        await repo.end_silence(conn, stored.id, self.hub.clock.now_ms())
        return []

    async def committed(self) -> None:
        await AlertService(self.hub).evaluate()
