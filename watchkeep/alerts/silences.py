"""Silences and maintenance windows: who may be quiet, when, and for what."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from watchkeep.alerts import repository as repo
from watchkeep.alerts.maintenance import check_cron, check_timezone
from watchkeep.alerts.schemas import SilenceIn, WindowIn
from watchkeep.alerts.service import AlertService
from watchkeep.core.clock import to_ms
from watchkeep.core.errors import not_found, validation_error
from watchkeep.core.events import Event, SilenceCreated
from watchkeep.core.events.log import append
from watchkeep.core.hub import Hub
from watchkeep.core.ids import new_id


def new_silence(body: SilenceIn, username: str, now: int) -> tuple[dict[str, Any], SilenceCreated]:
    """The row of a new silence, checked as the API checks it, and the event to log with it."""
    starts = to_ms(body.starts_at) if body.starts_at is not None else now
    if body.ends_at is not None and body.duration_seconds is not None:
        raise validation_error("give endsAt or durationSeconds, not both", "durationSeconds")
    if body.ends_at is not None:
        ends = to_ms(body.ends_at)
    elif body.duration_seconds is not None:
        ends = starts + body.duration_seconds * 1000
    else:
        raise validation_error("endsAt or durationSeconds is required", "endsAt")
    if ends <= starts or ends <= now:
        raise validation_error("the silence must end after it starts and in the future", "endsAt")
    silence_id = new_id("sil")
    row = {
        "id": silence_id,
        "matchers": json.dumps(body.matchers.stored()),
        "starts_at": starts,
        "ends_at": ends,
        "created_by": username,
        "comment": body.comment,
        "created_at": now,
        "ended_early": False,
        "expired_announced": False,
    }
    event = SilenceCreated(
        silence_id=silence_id,
        starts_at_ms=starts,
        ends_at_ms=ends,
        created_by=username,
        comment=body.comment,
        at_ms=now,
    )
    return row, event


class SilenceService:
    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.store = hub.store

    async def create(self, body: SilenceIn, username: str) -> RowMapping:
        row, event = new_silence(body, username, self.hub.clock.now_ms())

        async def unit(conn: AsyncConnection) -> tuple[RowMapping, list[Event]]:
            await repo.insert_silence(conn, row)
            created = await repo.silence_by_id(conn, row["id"])
            assert created is not None
            return created, await append(conn, [event])

        created, events = await self.store.write(unit)
        await self.hub.bus.publish(*events)
        await AlertService(self.hub).evaluate()
        return created

    async def current(self) -> list[RowMapping]:
        async with self.store.read() as conn:
            return await repo.current_silences(conn, self.hub.clock.now_ms())

    async def end(self, silence_id: str) -> None:
        """End a silence now; what it held back and still fires is sent at once."""
        now = self.hub.clock.now_ms()

        async def unit(conn: AsyncConnection) -> None:
            if await repo.silence_by_id(conn, silence_id) is None:
                raise not_found("silence", silence_id)
            await repo.end_silence(conn, silence_id, now)

        await self.store.write(unit)
        await AlertService(self.hub).evaluate()


def window_values(body: WindowIn) -> dict[str, Any]:
    """The stored fields of a window, checked as the API checks them."""
    check_timezone(body.timezone)
    starts = to_ms(body.starts_at) if body.starts_at is not None else None
    ends = to_ms(body.ends_at) if body.ends_at is not None else None
    if body.cron is not None:
        check_cron(body.cron)
        if body.duration_seconds is None:
            raise validation_error("a recurring window needs durationSeconds", "durationSeconds")
    elif starts is None or ends is None:
        raise validation_error("a one-off window needs startsAt and endsAt (or give cron)", "startsAt")
    if starts is not None and ends is not None and ends <= starts:
        raise validation_error("endsAt must be after startsAt", "endsAt")
    return {
        "name": body.name,
        "matchers": json.dumps(body.matchers.stored()),
        "starts_at": starts,
        "ends_at": ends,
        "cron": body.cron,
        "duration_seconds": body.duration_seconds,
        "timezone": body.timezone,
        "comment": body.comment,
    }


def new_window(body: WindowIn, username: str, now: int) -> dict[str, Any]:
    return {**window_values(body), "id": new_id("mnt"), "created_by": username, "created_at": now}


class MaintenanceService:
    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.store = hub.store

    async def create(self, body: WindowIn, username: str) -> RowMapping:
        row = new_window(body, username, self.hub.clock.now_ms())
        window_id = row["id"]

        async def unit(conn: AsyncConnection) -> None:
            await repo.insert_window(conn, row)

        await self.store.write(unit)
        await AlertService(self.hub).evaluate()
        return await self._get(window_id)

    async def _get(self, window_id: str) -> RowMapping:
        for row in await self.all():
            if row["id"] == window_id:
                return row
        raise not_found("maintenance window", window_id)

    async def all(self) -> list[RowMapping]:
        async with self.store.read() as conn:
            return await repo.list_windows(conn)

    async def delete(self, window_id: str) -> None:
        async def unit(conn: AsyncConnection) -> None:
            if not await repo.delete_window(conn, window_id):
                raise not_found("maintenance window", window_id)

        await self.store.write(unit)
        await AlertService(self.hub).evaluate()
