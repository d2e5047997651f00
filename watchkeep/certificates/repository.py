"""All SQL on certificate monitors and their checks. Returns typed records; JSON columns
are decoded here."""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from typing import Any

from sqlalchemy import and_, delete, func, insert, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from watchkeep.certificates.tables import certificate_checks, certificate_monitors


@dataclass(frozen=True)
class Monitor:
    id: str
    source: str
    origin: str | None
    agent_id: str | None
    host: str
    port: int
    sni: str | None
    interval_seconds: int
    thresholds: list[int]
    created_at: int
    updated_at: int
    next_check_at: int | None
    last_checked_at: int | None
    error: str | None
    not_before: int | None
    not_after: int | None
    chain_reason: str | None
    hostname_match: bool | None
    subject: str | None
    issuer: str | None
    raised: dict[str, Any]

    @property
    def name(self) -> str:
        base = f"{self.host}:{self.port}"
        return base if not self.sni or self.sni == self.host else f"{base} ({self.sni})"


@dataclass(frozen=True)
class Check:
    id: int
    monitor_id: str
    checked_at: int
    status: str
    duration_ms: float | None
    error: str | None
    subject: str | None
    issuer: str | None
    sans: list[str]
    serial: str | None
    not_before: int | None
    not_after: int | None
    tls_version: str | None
    key_type: str | None
    key_bits: int | None
    chain: list[dict[str, Any]]
    chain_valid: bool | None
    chain_reason: str | None
    chain_detail: str | None
    hostname_match: bool | None


_JSON_MONITOR = ("thresholds", "raised")
_JSON_CHECK = ("sans", "chain")
_MONITOR_FIELDS = [f.name for f in fields(Monitor)]


def _monitor(row: RowMapping) -> Monitor:
    values = {name: row[name] for name in _MONITOR_FIELDS}
    for name in _JSON_MONITOR:
        values[name] = json.loads(values[name])
    if values["hostname_match"] is not None:
        values["hostname_match"] = bool(values["hostname_match"])
    return Monitor(**values)


def _check(row: RowMapping) -> Check:
    values = dict(row)
    for name in _JSON_CHECK:
        values[name] = json.loads(values[name])
    for name in ("chain_valid", "hostname_match"):
        if values[name] is not None:
            values[name] = bool(values[name])
    return Check(**values)


def _encoded(values: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    return {k: json.dumps(v) if k in names else v for k, v in values.items()}


async def insert_monitor(conn: AsyncConnection, values: dict[str, Any]) -> Monitor:
    query = insert(certificate_monitors).values(**_encoded(values, _JSON_MONITOR)).returning(certificate_monitors)
    return _monitor((await conn.execute(query)).mappings().one())


async def monitor_by_id(conn: AsyncConnection, monitor_id: str, *, lock: bool = False) -> Monitor | None:
    query = select(certificate_monitors).where(certificate_monitors.c.id == monitor_id)
    if lock and conn.dialect.name == "postgresql":
        query = query.with_for_update()
    row = (await conn.execute(query)).mappings().first()
    return None if row is None else _monitor(row)


async def monitor_by_origin(conn: AsyncConnection, source: str, origin: str) -> Monitor | None:
    query = select(certificate_monitors).where(
        and_(certificate_monitors.c.source == source, certificate_monitors.c.origin == origin)
    )
    row = (await conn.execute(query)).mappings().first()
    return None if row is None else _monitor(row)


async def list_monitors(conn: AsyncConnection) -> list[Monitor]:
    """Soonest expiry first; monitors with no certificate read yet last."""
    c = certificate_monitors.c
    query = select(certificate_monitors).order_by(c.not_after.is_(None), c.not_after, c.host, c.port, c.id)
    return [_monitor(row) for row in (await conn.execute(query)).mappings()]


async def monitors_of_agent(conn: AsyncConnection, agent_id: str) -> list[Monitor]:
    query = select(certificate_monitors).where(certificate_monitors.c.agent_id == agent_id)
    return [_monitor(row) for row in (await conn.execute(query)).mappings()]


async def update_monitor(conn: AsyncConnection, monitor_id: str, values: dict[str, Any]) -> Monitor | None:
    query = (
        update(certificate_monitors)
        .where(certificate_monitors.c.id == monitor_id)
        .values(**_encoded(values, _JSON_MONITOR))
        .returning(certificate_monitors)
    )
    row = (await conn.execute(query)).mappings().first()
    return None if row is None else _monitor(row)


async def delete_monitor(conn: AsyncConnection, monitor_id: str) -> int:
    await conn.execute(delete(certificate_checks).where(certificate_checks.c.monitor_id == monitor_id))
    return (await conn.execute(delete(certificate_monitors).where(certificate_monitors.c.id == monitor_id))).rowcount


async def due(conn: AsyncConnection, now_ms: int, limit: int) -> list[Monitor]:
    c = certificate_monitors.c
    query = (
        select(certificate_monitors)
        .where(and_(c.next_check_at.is_not(None), c.next_check_at <= now_ms))
        .order_by(c.next_check_at, c.id)
        .limit(limit)
    )
    return [_monitor(row) for row in (await conn.execute(query)).mappings()]


async def claim(conn: AsyncConnection, monitor_id: str, expected_due: int, next_due: int) -> bool:
    """Compare-and-set on the due time: of several replicas claiming one check, one gets True."""
    c = certificate_monitors.c
    result = await conn.execute(
        update(certificate_monitors)
        .where(and_(c.id == monitor_id, c.next_check_at == expected_due))
        .values(next_check_at=next_due)
    )
    return result.rowcount == 1


async def insert_check(conn: AsyncConnection, values: dict[str, Any]) -> Check:
    query = insert(certificate_checks).values(**_encoded(values, _JSON_CHECK)).returning(certificate_checks)
    return _check((await conn.execute(query)).mappings().one())


async def list_checks(conn: AsyncConnection, monitor_id: str, limit: int) -> list[Check]:
    query = (
        select(certificate_checks)
        .where(certificate_checks.c.monitor_id == monitor_id)
        .order_by(certificate_checks.c.id.desc())
        .limit(limit)
    )
    return [_check(row) for row in (await conn.execute(query)).mappings()]


async def prune_checks(conn: AsyncConnection, monitor_id: str, keep: int) -> int:
    """Delete all but the newest `keep` checks of the monitor."""
    c = certificate_checks.c
    count = (await conn.execute(select(func.count()).where(c.monitor_id == monitor_id))).scalar_one()
    if count <= keep:
        return 0
    oldest_kept = (
        await conn.execute(
            select(c.id).where(c.monitor_id == monitor_id).order_by(c.id.desc()).offset(keep - 1).limit(1)
        )
    ).scalar_one()
    return (
        await conn.execute(delete(certificate_checks).where(and_(c.monitor_id == monitor_id, c.id < oldest_kept)))
    ).rowcount
