"""Background jobs that one replica runs per interval: the job's next due time is a row in
`scheduled_jobs`, and a replica runs the job only after moving that time forward with a
compare-and-set, so replicas that poll together run it once."""

from __future__ import annotations

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
