"""All SQL on metric series, samples and process snapshots."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table, bindparam, delete, func, select
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from watchkeep.core.db.bulk import fetch_all, insert_missing, upsert_many
from watchkeep.resources.tables import (
    container_samples,
    host_samples,
    metric_latest,
    metric_series,
    process_snapshots,
)

_series_of = select(metric_series.c.id, metric_series.c.kind, metric_series.c.name).where(
    metric_series.c.agent_id == bindparam("agent_id")
)


async def series_of(conn: AsyncConnection, agent_id: str) -> list[dict[str, Any]]:
    return await fetch_all(conn, _series_of, {"agent_id": agent_id})


async def add_series(conn: AsyncConnection, rows: Sequence[dict[str, Any]]) -> None:
    await insert_missing(conn, metric_series, rows, ("agent_id", "kind", "name"))


async def insert_samples(conn: AsyncConnection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Samples keyed by series and time; a replay of a stored sample changes nothing."""
    await insert_missing(conn, table, rows, ("series_id", "ts"))


_latest_of = select(metric_latest.c.doc).where(metric_latest.c.agent_id == bindparam("agent_id"))


async def latest_of(conn: AsyncConnection, agent_id: str) -> str | None:
    rows = await fetch_all(conn, _latest_of, {"agent_id": agent_id})
    return str(rows[0]["doc"]) if rows else None


async def put_latest(conn: AsyncConnection, agent_id: str, doc: str) -> None:
    await upsert_many(conn, metric_latest, [{"agent_id": agent_id, "doc": doc}], ("agent_id",))


async def put_processes(conn: AsyncConnection, row: dict[str, Any]) -> None:
    await upsert_many(conn, process_snapshots, [row], ("agent_id",), newer_than="ts")


async def processes_of(conn: AsyncConnection, agent_id: str) -> RowMapping | None:
    query = select(process_snapshots).where(process_snapshots.c.agent_id == agent_id)
    return (await conn.execute(query)).mappings().first()


async def history(
    conn: AsyncConnection, table: Table, series_id: int, column: str, since: int, bucket_ms: int
) -> list[tuple[int, float]]:
    value = table.c[column]
    bucket = ((table.c.ts // bucket_ms) * bucket_ms).label("bucket")
    query = (
        select(bucket, func.avg(value))
        .where(table.c.series_id == series_id, table.c.ts >= since, value.is_not(None))
        .group_by(bucket)
        .order_by(bucket)
    )
    return [(int(t), float(v)) for t, v in (await conn.execute(query)).all()]


async def delete_for_agent(conn: AsyncConnection, agent_id: str) -> None:
    ids = select(metric_series.c.id).where(metric_series.c.agent_id == agent_id).scalar_subquery()
    await conn.execute(delete(host_samples).where(host_samples.c.series_id.in_(ids)))
    await conn.execute(delete(container_samples).where(container_samples.c.series_id.in_(ids)))
    await conn.execute(delete(metric_series).where(metric_series.c.agent_id == agent_id))
    await conn.execute(delete(process_snapshots).where(process_snapshots.c.agent_id == agent_id))
    await conn.execute(delete(metric_latest).where(metric_latest.c.agent_id == agent_id))
