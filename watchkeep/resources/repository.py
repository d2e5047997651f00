"""All SQL on metric series, samples and process snapshots."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Float, Table, bindparam, cast, delete, func, literal, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from watchkeep.core.db.bulk import execute_many, fetch_all, insert_missing, upsert_many
from watchkeep.resources.tables import (
    container_sample_sets,
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


def _insert_sample_set(dialect: str) -> Any:
    """A payload's container samples; where the agent has a row at that time already (a
    payload stored again), its stored samples stay and those of other containers are added."""
    table = container_sample_sets
    statement: Any
    merged: Any
    if dialect == "sqlite":
        statement = sqlite.insert(table)
        merged = func.json_patch(statement.excluded.samples, table.c.samples)
    else:
        statement = postgresql.insert(table)
        merged = cast(
            cast(statement.excluded.samples, JSONB).op("||")(cast(table.c.samples, JSONB)), table.c.samples.type
        )
    return statement.on_conflict_do_update(index_elements=["agent_id", "ts"], set_={"samples": merged})


_INSERT_SAMPLE_SET = {dialect: _insert_sample_set(dialect) for dialect in ("sqlite", "postgresql")}


async def insert_sample_set(conn: AsyncConnection, agent_id: str, ts: int, samples: str) -> None:
    row = {"agent_id": agent_id, "ts": ts, "samples": samples}
    await execute_many(conn, _INSERT_SAMPLE_SET[conn.dialect.name], [row])


_latest_of = select(metric_latest.c.doc).where(metric_latest.c.agent_id == bindparam("agent_id"))


async def latest_of(conn: AsyncConnection, agent_id: str) -> str | None:
    rows = await fetch_all(conn, _latest_of, {"agent_id": agent_id})
    return str(rows[0]["doc"]) if rows else None


async def latest_of_many(conn: AsyncConnection, agent_ids: list[str]) -> dict[str, str]:
    if not agent_ids:
        return {}
    query = select(metric_latest).where(metric_latest.c.agent_id.in_(agent_ids))
    return {row["agent_id"]: str(row["doc"]) for row in (await conn.execute(query)).mappings()}


async def put_latest(conn: AsyncConnection, agent_id: str, doc: str) -> None:
    await upsert_many(conn, metric_latest, [{"agent_id": agent_id, "doc": doc}], ("agent_id",))


async def put_processes(conn: AsyncConnection, row: dict[str, Any]) -> None:
    await upsert_many(conn, process_snapshots, [row], ("agent_id",), newer_than="ts")


async def processes_of(conn: AsyncConnection, agent_id: str) -> RowMapping | None:
    query = select(process_snapshots).where(process_snapshots.c.agent_id == agent_id)
    return (await conn.execute(query)).mappings().first()


async def _bucket_averages(
    conn: AsyncConnection, table: Table, value: ColumnElement[Any], key: ColumnElement[bool], since: int, bucket_ms: int
) -> list[tuple[int, float]]:
    bucket = ((table.c.ts // bucket_ms) * bucket_ms).label("bucket")
    query = (
        select(bucket, func.avg(value))
        .where(key, table.c.ts >= since, value.is_not(None))
        .group_by(bucket)
        .order_by(bucket)
    )
    return [(int(t), float(v)) for t, v in (await conn.execute(query)).all()]


async def history(
    conn: AsyncConnection, table: Table, series_id: int, column: str, since: int, bucket_ms: int
) -> list[tuple[int, float]]:
    return await _bucket_averages(conn, table, table.c[column], table.c.series_id == series_id, since, bucket_ms)


async def container_history(
    conn: AsyncConnection, agent_id: str, container: str, index: int, since: int, bucket_ms: int
) -> list[tuple[int, float]]:
    """The averages per time bucket of one container's metric (its `index` in each stored list
    of values)."""
    table = container_sample_sets
    samples = table.c.samples if conn.dialect.name == "sqlite" else cast(table.c.samples, JSONB)
    value = cast(samples.op("->")(literal(container)).op("->>")(literal(index)), Float)
    return await _bucket_averages(conn, table, value, table.c.agent_id == agent_id, since, bucket_ms)


async def delete_for_agent(conn: AsyncConnection, agent_id: str) -> None:
    ids = select(metric_series.c.id).where(metric_series.c.agent_id == agent_id).scalar_subquery()
    await conn.execute(delete(host_samples).where(host_samples.c.series_id.in_(ids)))
    await conn.execute(delete(container_sample_sets).where(container_sample_sets.c.agent_id == agent_id))
    await conn.execute(delete(metric_series).where(metric_series.c.agent_id == agent_id))
    await conn.execute(delete(process_snapshots).where(process_snapshots.c.agent_id == agent_id))
    await conn.execute(delete(metric_latest).where(metric_latest.c.agent_id == agent_id))
