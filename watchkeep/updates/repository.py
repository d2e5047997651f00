"""All SQL on image updates: scans, each container's verdict, pins and exclusions. Returns
typed records."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from sqlalchemy import and_, delete, func, insert, or_, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from watchkeep.updates.tables import container_updates, update_exclusions, update_pins, update_scans


@dataclass(frozen=True)
class Scan:
    id: str
    trigger: str
    status: str
    total: int
    checked: int
    found: int
    errors: int
    error: str | None
    created_at: int
    started_at: int | None
    finished_at: int | None
    heartbeat_at: int | None


@dataclass(frozen=True)
class Verdict:
    container_id: str
    agent_id: str
    name: str
    image: str
    registry: str | None
    repository: str | None
    tag: str | None
    platform: str | None
    current_digest: str | None
    status: str
    update_type: str | None
    latest_tag: str | None
    latest_digest: str | None
    source_url: str | None
    changelog_url: str | None
    error: str | None
    checked_at: int
    detected_at: int | None
    scan_id: str | None
    raised: bool


@dataclass(frozen=True)
class Pin:
    container_id: str
    image: str
    tag: str | None
    digest: str | None
    created_at: int


@dataclass(frozen=True)
class Exclusion:
    id: str
    image: str
    tag: str | None
    reason: str | None
    created_at: int


_VERDICT_FIELDS = [f.name for f in fields(Verdict)]


def _verdict(row: RowMapping) -> Verdict:
    values = {name: row[name] for name in _VERDICT_FIELDS}
    values["raised"] = bool(values["raised"])
    return Verdict(**values)


# Scans


async def insert_scan(conn: AsyncConnection, values: dict[str, Any]) -> Scan:
    row = (await conn.execute(insert(update_scans).values(**values).returning(update_scans))).mappings().one()
    return Scan(**row)


async def scan_by_id(conn: AsyncConnection, scan_id: str) -> Scan | None:
    row = (await conn.execute(select(update_scans).where(update_scans.c.id == scan_id))).mappings().first()
    return None if row is None else Scan(**row)


async def active_scan(conn: AsyncConnection) -> Scan | None:
    """The queued or running scan, if any (there is at most one)."""
    c = update_scans.c
    query = select(update_scans).where(c.status.in_(("queued", "running"))).order_by(c.created_at).limit(1)
    row = (await conn.execute(query)).mappings().first()
    return None if row is None else Scan(**row)


async def latest_scan(conn: AsyncConnection) -> Scan | None:
    query = select(update_scans).order_by(update_scans.c.created_at.desc()).limit(1)
    row = (await conn.execute(query)).mappings().first()
    return None if row is None else Scan(**row)


async def claim_scan(conn: AsyncConnection, scan_id: str, now_ms: int, stale_before_ms: int) -> Scan | None:
    """Take a queued scan (or a running one whose replica stopped saying it is alive);
    compare-and-set, so one replica gets it."""
    c = update_scans.c
    taken = or_(c.status == "queued", and_(c.status == "running", c.heartbeat_at < stale_before_ms))
    query = (
        update(update_scans)
        .where(c.id == scan_id, taken)
        .values(status="running", started_at=func.coalesce(c.started_at, now_ms), heartbeat_at=now_ms)
        .returning(update_scans)
    )
    row = (await conn.execute(query)).mappings().first()
    return None if row is None else Scan(**row)


async def claimable_scans(conn: AsyncConnection, stale_before_ms: int) -> list[Scan]:
    c = update_scans.c
    query = (
        select(update_scans)
        .where(or_(c.status == "queued", and_(c.status == "running", c.heartbeat_at < stale_before_ms)))
        .order_by(c.created_at)
        .limit(5)
    )
    return [Scan(**row) for row in (await conn.execute(query)).mappings()]


async def update_scan(conn: AsyncConnection, scan_id: str, values: dict[str, Any]) -> Scan | None:
    query = update(update_scans).where(update_scans.c.id == scan_id).values(**values).returning(update_scans)
    row = (await conn.execute(query)).mappings().first()
    return None if row is None else Scan(**row)


async def prune_scans(conn: AsyncConnection, keep: int) -> None:
    c = update_scans.c
    kept = select(c.id).order_by(c.created_at.desc()).limit(keep).scalar_subquery()
    await conn.execute(delete(update_scans).where(c.status.in_(("completed", "failed")), c.id.not_in(kept)))


# Verdicts


async def verdicts(
    conn: AsyncConnection, *, status: str | None = None, update_type: str | None = None
) -> list[Verdict]:
    c = container_updates.c
    query = select(container_updates).order_by(c.agent_id, c.name, c.container_id)
    if status is not None:
        query = query.where(c.status == status)
    if update_type is not None:
        query = query.where(c.update_type == update_type)
    return [_verdict(row) for row in (await conn.execute(query)).mappings()]


async def verdict_of(conn: AsyncConnection, container_id: str) -> Verdict | None:
    query = select(container_updates).where(container_updates.c.container_id == container_id)
    row = (await conn.execute(query)).mappings().first()
    return None if row is None else _verdict(row)


async def verdicts_by_id(conn: AsyncConnection) -> dict[str, Verdict]:
    return {v.container_id: v for v in await verdicts(conn)}


async def save_verdict(conn: AsyncConnection, values: dict[str, Any], *, exists: bool) -> None:
    if exists:
        key = values["container_id"]
        await conn.execute(
            update(container_updates)
            .where(container_updates.c.container_id == key)
            .values(**{k: v for k, v in values.items() if k != "container_id"})
        )
    else:
        await conn.execute(insert(container_updates).values(**values))


async def set_verdict(conn: AsyncConnection, container_id: str, values: dict[str, Any]) -> None:
    await conn.execute(
        update(container_updates).where(container_updates.c.container_id == container_id).values(**values)
    )


async def delete_verdict(conn: AsyncConnection, container_id: str) -> None:
    await conn.execute(delete(container_updates).where(container_updates.c.container_id == container_id))


async def counts(conn: AsyncConnection) -> list[tuple[str, str | None, str, int]]:
    """(status, update type, agent id, count) of every verdict."""
    c = container_updates.c
    query = select(c.status, c.update_type, c.agent_id, func.count()).group_by(c.status, c.update_type, c.agent_id)
    return [(s, t, a, int(n)) for s, t, a, n in (await conn.execute(query)).all()]


# Pins


async def pins(conn: AsyncConnection) -> dict[str, Pin]:
    return {row["container_id"]: Pin(**row) for row in (await conn.execute(select(update_pins))).mappings()}


async def pin_of(conn: AsyncConnection, container_id: str) -> Pin | None:
    row = (await conn.execute(select(update_pins).where(update_pins.c.container_id == container_id))).mappings().first()
    return None if row is None else Pin(**row)


async def insert_pin(conn: AsyncConnection, values: dict[str, Any]) -> Pin:
    return Pin(**(await conn.execute(insert(update_pins).values(**values).returning(update_pins))).mappings().one())


async def delete_pin(conn: AsyncConnection, container_id: str) -> int:
    return (await conn.execute(delete(update_pins).where(update_pins.c.container_id == container_id))).rowcount


# Exclusions


async def exclusions(conn: AsyncConnection) -> list[Exclusion]:
    c = update_exclusions.c
    query = select(update_exclusions).order_by(c.image, c.tag.is_not(None), c.tag, c.id)
    return [Exclusion(**row) for row in (await conn.execute(query)).mappings()]


async def exclusion_by_id(conn: AsyncConnection, exclusion_id: str) -> Exclusion | None:
    query = select(update_exclusions).where(update_exclusions.c.id == exclusion_id)
    row = (await conn.execute(query)).mappings().first()
    return None if row is None else Exclusion(**row)


async def exclusion_by_pattern(conn: AsyncConnection, image: str, tag: str | None) -> Exclusion | None:
    c = update_exclusions.c
    query = select(update_exclusions).where(c.image == image, c.tag.is_(None) if tag is None else c.tag == tag)
    row = (await conn.execute(query)).mappings().first()
    return None if row is None else Exclusion(**row)


async def insert_exclusion(conn: AsyncConnection, values: dict[str, Any]) -> Exclusion:
    query = insert(update_exclusions).values(**values).returning(update_exclusions)
    return Exclusion(**(await conn.execute(query)).mappings().one())


async def update_exclusion(conn: AsyncConnection, exclusion_id: str, values: dict[str, Any]) -> None:
    await conn.execute(update(update_exclusions).where(update_exclusions.c.id == exclusion_id).values(**values))


async def delete_exclusion(conn: AsyncConnection, exclusion_id: str) -> int:
    return (await conn.execute(delete(update_exclusions).where(update_exclusions.c.id == exclusion_id))).rowcount
