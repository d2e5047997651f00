"""All SQL on alerts, silences and maintenance windows."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, delete, func, insert, or_, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import ColumnElement

from watchkeep.alerts.tables import alerts, maintenance_windows, silences

# Alerts


async def active_by_key(
    conn: AsyncConnection, source: str, alert_type: str, entity_type: str, entity_id: str
) -> RowMapping | None:
    query = select(alerts).where(
        alerts.c.status == "active",
        alerts.c.source == source,
        alerts.c.type == alert_type,
        alerts.c.entity_type == entity_type,
        alerts.c.entity_id == entity_id,
    )
    return (await conn.execute(query)).mappings().first()


async def alert_by_id(conn: AsyncConnection, alert_id: str) -> RowMapping | None:
    return (await conn.execute(select(alerts).where(alerts.c.id == alert_id))).mappings().first()


async def insert_alert(conn: AsyncConnection, row: dict[str, Any]) -> None:
    await conn.execute(insert(alerts).values(**row))


async def update_alert(
    conn: AsyncConnection, alert_id: str, values: dict[str, Any], *, active_only: bool = False
) -> int:
    query = update(alerts).where(alerts.c.id == alert_id)
    if active_only:
        query = query.where(alerts.c.status == "active")
    return (await conn.execute(query.values(**values))).rowcount


async def active_alerts(conn: AsyncConnection) -> list[RowMapping]:
    query = select(alerts).where(alerts.c.status == "active").order_by(alerts.c.fired_at.desc(), alerts.c.id.desc())
    return list((await conn.execute(query)).mappings())


def status_clause(status: str) -> ColumnElement[bool]:
    active = alerts.c.status == "active"
    if status == "resolved":
        return alerts.c.status == "resolved"
    if status == "silenced":
        return and_(active, alerts.c.silenced.is_(True))
    if status == "acknowledged":
        return and_(active, alerts.c.silenced.is_(False), alerts.c.acknowledged_at.is_not(None))
    return and_(active, alerts.c.silenced.is_(False), alerts.c.acknowledged_at.is_(None))


async def list_alerts(
    conn: AsyncConnection,
    *,
    filters: dict[str, Any],
    status: str | None,
    since_ms: int | None,
    until_ms: int | None,
    after: tuple[int, str] | None,
    limit: int,
) -> list[RowMapping]:
    query = select(alerts)
    for column, value in filters.items():
        if value is not None:
            query = query.where(alerts.c[column] == value)
    if status is not None:
        query = query.where(status_clause(status))
    if since_ms is not None:
        query = query.where(alerts.c.fired_at >= since_ms)
    if until_ms is not None:
        query = query.where(alerts.c.fired_at < until_ms)
    if after is not None:
        fired, ident = after
        query = query.where(or_(alerts.c.fired_at < fired, and_(alerts.c.fired_at == fired, alerts.c.id < ident)))
    query = query.order_by(alerts.c.fired_at.desc(), alerts.c.id.desc()).limit(limit)
    return list((await conn.execute(query)).mappings())


# Silences


async def insert_silence(conn: AsyncConnection, row: dict[str, Any]) -> None:
    await conn.execute(insert(silences).values(**row))


async def silence_by_id(conn: AsyncConnection, silence_id: str) -> RowMapping | None:
    return (await conn.execute(select(silences).where(silences.c.id == silence_id))).mappings().first()


async def current_silences(conn: AsyncConnection, now_ms: int) -> list[RowMapping]:
    """Silences not yet ended: in force now or starting later."""
    query = select(silences).where(silences.c.ends_at > now_ms).order_by(silences.c.starts_at, silences.c.id)
    return list((await conn.execute(query)).mappings())


async def end_silence(conn: AsyncConnection, silence_id: str, now_ms: int) -> int:
    query = (
        update(silences)
        .where(silences.c.id == silence_id, silences.c.ends_at > now_ms)
        .values(ends_at=now_ms, ended_early=True)
    )
    return (await conn.execute(query)).rowcount


async def ended_unannounced(conn: AsyncConnection, now_ms: int) -> list[RowMapping]:
    query = select(silences).where(silences.c.ends_at <= now_ms, silences.c.expired_announced.is_(False))
    return list((await conn.execute(query)).mappings())


async def announce_expiry(conn: AsyncConnection, silence_id: str) -> bool:
    query = (
        update(silences)
        .where(silences.c.id == silence_id, silences.c.expired_announced.is_(False))
        .values(expired_announced=True)
    )
    return bool((await conn.execute(query)).rowcount)


# Maintenance windows


async def insert_window(conn: AsyncConnection, row: dict[str, Any]) -> None:
    await conn.execute(insert(maintenance_windows).values(**row))


async def list_windows(conn: AsyncConnection) -> list[RowMapping]:
    query = select(maintenance_windows).order_by(maintenance_windows.c.created_at, maintenance_windows.c.id)
    return list((await conn.execute(query)).mappings())


async def update_window(conn: AsyncConnection, window_id: str, values: dict[str, Any]) -> int:
    query = update(maintenance_windows).where(maintenance_windows.c.id == window_id).values(**values)
    return (await conn.execute(query)).rowcount


async def delete_window(conn: AsyncConnection, window_id: str) -> int:
    return (await conn.execute(delete(maintenance_windows).where(maintenance_windows.c.id == window_id))).rowcount


async def active_counts(conn: AsyncConnection) -> list[RowMapping]:
    """How many alerts are active, by source and severity."""
    query = (
        select(alerts.c.source, alerts.c.severity, func.count().label("count"))
        .where(alerts.c.status == "active")
        .group_by(alerts.c.source, alerts.c.severity)
    )
    return list((await conn.execute(query)).mappings())
