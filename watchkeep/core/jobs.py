"""Background jobs that one replica runs per interval: the job's next due time is a row in
`scheduled_jobs`, and a replica runs the job only after moving that time forward with a
compare-and-set, so replicas that poll together run it once."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from watchkeep.core.db.tables import scheduled_jobs
from watchkeep.core.hub import Hub
from watchkeep.core.scheduler import Step


async def claim(conn: AsyncConnection, name: str, now_ms: int, every_ms: int) -> bool:
    """Take the job's turn when it is due; True when this caller got it."""
    due = (await conn.execute(select(scheduled_jobs.c.due_at).where(scheduled_jobs.c.name == name))).scalar()
    if due is None:
        try:
            async with conn.begin_nested():
                await conn.execute(insert(scheduled_jobs).values(name=name, due_at=now_ms + every_ms))
            return True
        except IntegrityError:
            return False  # another replica took the first turn
    result = await conn.execute(
        update(scheduled_jobs)
        .where(scheduled_jobs.c.name == name, scheduled_jobs.c.due_at <= now_ms)
        .values(due_at=now_ms + every_ms)
    )
    return bool(result.rowcount)


def claimed(hub: Hub, name: str, every_seconds: float, step: Step) -> Step:
    """`step`, run only when this replica claimed the job's turn (at most once per
    `every_seconds` across replicas)."""
    every_ms = int(every_seconds * 1000)

    async def run() -> bool:
        now = hub.clock.now_ms()

        async def unit(conn: AsyncConnection) -> bool:
            return await claim(conn, name, now, every_ms)

        if not await hub.store.write(unit):
            return False
        return await step()

    return run


async def claim_next(conn: AsyncConnection, name: str, now_ms: int, next_due: Callable[[int], int]) -> bool:
    """`claim` for a job on a calendar (a cron schedule): the next turn is `next_due(now)`.
    A job met for the first time is scheduled, not run: its first turn is the next due time."""
    due = (await conn.execute(select(scheduled_jobs.c.due_at).where(scheduled_jobs.c.name == name))).scalar()
    if due is None:
        try:
            async with conn.begin_nested():
                await conn.execute(insert(scheduled_jobs).values(name=name, due_at=next_due(now_ms)))
        except IntegrityError:
            pass  # another replica scheduled it first
        return False
    result = await conn.execute(
        update(scheduled_jobs)
        .where(scheduled_jobs.c.name == name, scheduled_jobs.c.due_at <= now_ms)
        .values(due_at=next_due(now_ms))
    )
    return bool(result.rowcount)


def on_calendar(hub: Hub, name: str, next_due: Callable[[int], int], step: Step) -> Step:
    """`step`, run only when this replica claimed the job's turn on its calendar (`next_due`
    gives the turn after a time), once per turn across replicas."""

    async def run() -> bool:
        now = hub.clock.now_ms()

        async def unit(conn: AsyncConnection) -> bool:
            return await claim_next(conn, name, now, next_due)

        if not await hub.store.write(unit):
            return False
        await step()
        return False

    return run
