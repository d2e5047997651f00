"""The event log: every logged event, in the order its transactions committed.

`append` runs inside the write unit that made the change, so a committed change always has
its events and a rolled-back one has none. Readers (consumers, SSE streams) read forward from
an id and must never see a later id before an earlier one has committed: on SQLite the one
writer commits in id order anyway; on PostgreSQL ids come from a sequence in insert order,
not commit order, so appending takes a transaction-scoped advisory lock that serializes the
appending transactions from their first event to their commit. Append last in a unit: the
lock is then held only for the commit, and never while waiting for a row lock."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from watchkeep.core.events import Event, UnknownEvent
from watchkeep.core.events.tables import event_consumers, event_log

log = logging.getLogger("watchkeep.events")

# An arbitrary constant shared by every watchkeep process: the log's advisory lock.
_APPEND_LOCK_KEY = 0x7765_6C6F_67
_APPEND = insert(event_log).returning(event_log.c.id)


@dataclass(frozen=True, slots=True)
class LogRecord:
    id: int
    type: str
    subject_kind: str
    subject_id: str
    data: dict[str, Any]
    at_ms: int

    def event(self) -> Event:
        """The event as its type's dataclass (UnknownEvent for a type this hub lacks)."""
        return Event.rebuild(self.type, self.at_ms, self.data, self.id)


async def append(conn: AsyncConnection, events: Sequence[Event]) -> list[Event]:
    """Write the logged ones of `events` in the caller's transaction. Returns every event in
    the same order, the logged ones carrying their ids; publish them after the commit."""
    if not any(event.logged for event in events):
        return list(events)
    if conn.dialect.name == "postgresql":
        await conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _APPEND_LOCK_KEY})
    appended: list[Event] = []
    for event in events:
        if not event.logged:
            appended.append(event)
            continue
        row = {
            "type": event.type,
            "subject_kind": event.subject_kind,
            "subject_id": event.subject_id(),
            "data": json.dumps(event.data(), separators=(",", ":"), default=str),
            "at": event.at_ms,
        }
        event_id = (await conn.execute(_APPEND, row)).scalar_one()
        appended.append(event.with_id(int(event_id)))
    return appended


async def after(conn: AsyncConnection, position: int, limit: int) -> list[LogRecord]:
    """Up to `limit` events with ids above `position`, oldest first."""
    query = select(event_log).where(event_log.c.id > position).order_by(event_log.c.id).limit(limit)
    return [
        LogRecord(row.id, row.type, row.subject_kind, row.subject_id, json.loads(row.data), row.at)
        for row in await conn.execute(query)
    ]


async def events_after(conn: AsyncConnection, position: int, limit: int) -> tuple[list[Event], int]:
    """The events above `position` as dataclasses (types this hub does not know are
    skipped), and the id of the last record read (`position` when there was none)."""
    events: list[Event] = []
    last = position
    for record in await after(conn, position, limit):
        last = record.id
        try:
            events.append(record.event())
        except UnknownEvent:
            # A newer replica during a rolling upgrade may log types this one lacks.
            log.debug("skipping logged event %d of unknown type %s", record.id, record.type)
    return events, last


async def last_id(conn: AsyncConnection) -> int:
    return int((await conn.execute(select(func.coalesce(func.max(event_log.c.id), 0)))).scalar_one())


async def prune(conn: AsyncConnection, *, older_than_ms: int, keep: int, active_since_ms: int) -> int:
    """Delete events older than `older_than_ms` or beyond the newest `keep`, but none that a
    consumer active since `active_since_ms` has yet to react to. Returns how many."""
    newest = await last_id(conn)
    by_age = select(func.max(event_log.c.id)).where(event_log.c.at < older_than_ms)
    up_to = max(int((await conn.execute(by_age)).scalar_one() or 0), newest - keep)
    pending = select(func.min(event_consumers.c.position)).where(event_consumers.c.updated_at >= active_since_ms)
    slowest = (await conn.execute(pending)).scalar_one()
    if slowest is not None:
        up_to = min(up_to, int(slowest))
    if up_to <= 0:
        return 0
    result = await conn.execute(delete(event_log).where(event_log.c.id <= up_to))
    return int(result.rowcount or 0)
