"""All SQL on metric series, samples and process snapshots."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Float, Table, bindparam, cast, delete, func, insert, literal, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from watchkeep.core.db.bulk import execute_many, fetch_all, insert_missing, upsert_many
from watchkeep.resources.tables import (
    CONTAINER_METRICS,
    HOST_METRICS,
    container_rollups_hour,
    container_rollups_minute,
    container_sample_sets,
    host_rollups_hour,
    host_rollups_minute,
    host_samples,
    metric_latest,
    metric_rollup_marks,
    metric_series,
    process_snapshots,
    resource_threshold_states,
    resource_thresholds,
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


async def latest_of_all(conn: AsyncConnection) -> dict[str, str]:
    query = select(metric_latest)
    return {row["agent_id"]: str(row["doc"]) for row in (await conn.execute(query)).mappings()}


async def put_latest(conn: AsyncConnection, agent_id: str, doc: str) -> None:
    await upsert_many(conn, metric_latest, [{"agent_id": agent_id, "doc": doc}], ("agent_id",))


async def put_processes(conn: AsyncConnection, row: dict[str, Any]) -> None:
    await upsert_many(conn, process_snapshots, [row], ("agent_id",), newer_than="ts")


async def processes_of(conn: AsyncConnection, agent_id: str) -> RowMapping | None:
    query = select(process_snapshots).where(process_snapshots.c.agent_id == agent_id)
    return (await conn.execute(query)).mappings().first()


# A bucket of history: its start, the number of values, their average and their maximum.
Bucket = tuple[int, int, float, float]


async def _bucket_aggregates(
    conn: AsyncConnection,
    table: Table,
    value: ColumnElement[Any],
    key: ColumnElement[bool],
    since: int,
    until: int | None,
    bucket_ms: int,
) -> list[Bucket]:
    bucket = ((table.c.ts // bucket_ms) * bucket_ms).label("bucket")
    where = [key, table.c.ts >= since, value.is_not(None)]
    if until is not None:
        where.append(table.c.ts < until)
    query = select(bucket, func.count(value), func.avg(value), func.max(value)).where(*where).group_by(bucket)
    return [(int(t), int(n), float(v), float(m)) for t, n, v, m in (await conn.execute(query)).all()]


async def history(
    conn: AsyncConnection, series_id: int, column: str, since: int, until: int | None, bucket_ms: int
) -> list[Bucket]:
    """A host metric's raw samples in [since, until) per time bucket."""
    table = host_samples
    return await _bucket_aggregates(
        conn, table, table.c[column], table.c.series_id == series_id, since, until, bucket_ms
    )


def _container_value(conn: AsyncConnection, container: str, index: int) -> ColumnElement[Any]:
    table = container_sample_sets
    samples = table.c.samples if conn.dialect.name == "sqlite" else cast(table.c.samples, JSONB)
    return cast(samples.op("->")(literal(container)).op("->>")(literal(index)), Float)


async def container_history(
    conn: AsyncConnection,
    agent_id: str,
    container: str,
    index: int,
    since: int,
    until: int | None,
    bucket_ms: int,
) -> list[Bucket]:
    """One container's metric (its `index` in each stored list of values) in [since, until)
    per time bucket."""
    table = container_sample_sets
    value = _container_value(conn, container, index)
    return await _bucket_aggregates(conn, table, value, table.c.agent_id == agent_id, since, until, bucket_ms)


async def tier_history(
    conn: AsyncConnection, table: Table, series_id: int, column: str, since: int, until: int | None, bucket_ms: int
) -> list[Bucket]:
    """A metric's rollups in [since, until) merged into buckets of `bucket_ms` (a multiple of
    the tier's), the averages weighted by their counts."""
    n, avg, top = table.c[f"{column}_n"], table.c[f"{column}_avg"], table.c[f"{column}_max"]
    bucket = ((table.c.ts // bucket_ms) * bucket_ms).label("bucket")
    where = [table.c.series_id == series_id, table.c.ts >= since, n > 0]
    if until is not None:
        where.append(table.c.ts < until)
    query = select(bucket, func.sum(n), func.sum(avg * n) / func.sum(n), func.max(top)).where(*where).group_by(bucket)
    return [(int(t), int(c), float(v), float(m)) for t, c, v, m in (await conn.execute(query)).all()]


# Rollups. Every query names the series (or agents) it reads, so it runs on the tables'
# primary keys (series or agent first, then time) rather than scanning them.


def _series_ids(kind: str) -> Any:
    return select(metric_series.c.id).where(metric_series.c.kind == kind)


def _container_agents() -> Any:
    return select(metric_series.c.agent_id).where(metric_series.c.kind == "container").distinct()


async def lock_mark(conn: AsyncConnection, tier: str) -> int | None:
    """The tier's watermark, locked until the write unit ends (on PostgreSQL; SQLite's writer
    runs one unit at a time), so replicas never roll up the same buckets together."""
    query = select(metric_rollup_marks.c.upto).where(metric_rollup_marks.c.tier == tier)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    upto = (await conn.execute(query)).scalar()
    return None if upto is None else int(upto)


async def marks(conn: AsyncConnection) -> dict[str, int]:
    query = select(metric_rollup_marks.c.tier, metric_rollup_marks.c.upto)
    return {str(tier): int(upto) for tier, upto in (await conn.execute(query)).all()}


async def init_mark(conn: AsyncConnection, tier: str, upto: int) -> None:
    await insert_missing(conn, metric_rollup_marks, [{"tier": tier, "upto": upto}], ("tier",))


async def set_mark(conn: AsyncConnection, tier: str, upto: int) -> None:
    await conn.execute(update(metric_rollup_marks).where(metric_rollup_marks.c.tier == tier).values(upto=upto))


async def earliest_raw(conn: AsyncConnection) -> int | None:
    first_host = select(func.min(host_samples.c.ts)).where(host_samples.c.series_id.in_(_series_ids("host")))
    first_set = select(func.min(container_sample_sets.c.ts)).where(
        container_sample_sets.c.agent_id.in_(_container_agents())
    )
    found = [t for t in ((await conn.execute(first_host)).scalar(), (await conn.execute(first_set)).scalar()) if t]
    return int(min(found)) if found else None


async def earliest_rollup(conn: AsyncConnection, tier: tuple[Table, Table]) -> int | None:
    found = []
    for table, kind in zip(tier, ("host", "container"), strict=True):
        query = select(func.min(table.c.ts)).where(table.c.series_id.in_(_series_ids(kind)))
        first = (await conn.execute(query)).scalar()
        if first is not None:
            found.append(int(first))
    return min(found) if found else None


async def _clear(conn: AsyncConnection, table: Table, kind: str, since: int, until: int) -> None:
    await conn.execute(
        delete(table).where(table.c.series_id.in_(_series_ids(kind)), table.c.ts >= since, table.c.ts < until)
    )


async def roll_up_host_samples(conn: AsyncConnection, target: Table, since: int, until: int, bucket_ms: int) -> None:
    """Host samples in [since, until) into `target`'s buckets, replacing what it held there."""
    await _clear(conn, target, "host", since, until)
    source = host_samples
    bucket = (source.c.ts // bucket_ms) * bucket_ms
    columns: list[Any] = [source.c.series_id, bucket]
    names = ["series_id", "ts"]
    for metric in HOST_METRICS:
        value = source.c[metric]
        columns += [func.count(value), func.avg(value), func.max(value)]
        names += [f"{metric}_n", f"{metric}_avg", f"{metric}_max"]
    query = (
        select(*columns)
        .where(source.c.series_id.in_(_series_ids("host")), source.c.ts >= since, source.c.ts < until)
        .group_by(source.c.series_id, bucket)
    )
    await conn.execute(insert(target).from_select(names, query))


async def roll_up_rollups(
    conn: AsyncConnection, source: Table, target: Table, kind: str, since: int, until: int, bucket_ms: int
) -> None:
    """A finer tier's buckets in [since, until) merged into `target`'s wider ones (counts
    added, averages weighted by them, the largest maximum), replacing what it held there."""
    await _clear(conn, target, kind, since, until)
    metrics = HOST_METRICS if kind == "host" else CONTAINER_METRICS
    bucket = (source.c.ts // bucket_ms) * bucket_ms
    columns: list[Any] = [source.c.series_id, bucket]
    names = ["series_id", "ts"]
    for metric in metrics:
        n, avg, top = source.c[f"{metric}_n"], source.c[f"{metric}_avg"], source.c[f"{metric}_max"]
        columns += [func.sum(n), func.sum(avg * n) / func.nullif(func.sum(n), 0), func.max(top)]
        names += [f"{metric}_n", f"{metric}_avg", f"{metric}_max"]
    query = (
        select(*columns)
        .where(source.c.series_id.in_(_series_ids(kind)), source.c.ts >= since, source.c.ts < until)
        .group_by(source.c.series_id, bucket)
    )
    await conn.execute(insert(target).from_select(names, query))


async def container_sets_between(conn: AsyncConnection, since: int, until: int) -> list[tuple[str, int, str]]:
    table = container_sample_sets
    query = select(table.c.agent_id, table.c.ts, table.c.samples).where(
        table.c.agent_id.in_(_container_agents()), table.c.ts >= since, table.c.ts < until
    )
    return [(str(a), int(t), str(s)) for a, t, s in (await conn.execute(query)).all()]


async def container_series(conn: AsyncConnection) -> dict[tuple[str, str], int]:
    query = select(metric_series.c.agent_id, metric_series.c.name, metric_series.c.id).where(
        metric_series.c.kind == "container"
    )
    return {(str(a), str(n)): int(i) for a, n, i in (await conn.execute(query)).all()}


async def replace_container_rollups(
    conn: AsyncConnection, target: Table, since: int, until: int, rows: Sequence[dict[str, Any]]
) -> None:
    await _clear(conn, target, "container", since, until)
    await execute_many(conn, insert(target), rows)


async def delete_raw_before(conn: AsyncConnection, cutoff: int) -> int:
    hosts = await conn.execute(
        delete(host_samples).where(host_samples.c.series_id.in_(_series_ids("host")), host_samples.c.ts < cutoff)
    )
    sets = await conn.execute(
        delete(container_sample_sets).where(
            container_sample_sets.c.agent_id.in_(_container_agents()), container_sample_sets.c.ts < cutoff
        )
    )
    return int(hosts.rowcount or 0) + int(sets.rowcount or 0)


async def delete_rollups_before(conn: AsyncConnection, tier: tuple[Table, Table], cutoff: int) -> int:
    removed = 0
    for table, kind in zip(tier, ("host", "container"), strict=True):
        result = await conn.execute(delete(table).where(table.c.series_id.in_(_series_ids(kind)), table.c.ts < cutoff))
        removed += int(result.rowcount or 0)
    return removed


async def delete_for_agent(conn: AsyncConnection, agent_id: str) -> None:
    ids = select(metric_series.c.id).where(metric_series.c.agent_id == agent_id).scalar_subquery()
    await conn.execute(delete(host_samples).where(host_samples.c.series_id.in_(ids)))
    for rollups in (host_rollups_minute, host_rollups_hour, container_rollups_minute, container_rollups_hour):
        await conn.execute(delete(rollups).where(rollups.c.series_id.in_(ids)))
    await conn.execute(delete(container_sample_sets).where(container_sample_sets.c.agent_id == agent_id))
    await conn.execute(delete(metric_series).where(metric_series.c.agent_id == agent_id))
    await conn.execute(delete(process_snapshots).where(process_snapshots.c.agent_id == agent_id))
    await conn.execute(delete(metric_latest).where(metric_latest.c.agent_id == agent_id))


# Thresholds and their evaluation state (resources/thresholds.py).

_rules = (
    select(
        resource_thresholds,
        resource_threshold_states.c.firing,
        resource_threshold_states.c.streak,
        resource_threshold_states.c.changed_at,
        resource_threshold_states.c.value,
    )
    .select_from(
        resource_thresholds.outerjoin(
            resource_threshold_states,
            (resource_threshold_states.c.kind == resource_thresholds.c.kind)
            & (resource_threshold_states.c.subject_id == resource_thresholds.c.subject_id)
            & (resource_threshold_states.c.metric == resource_thresholds.c.metric),
        )
    )
    .order_by(resource_thresholds.c.kind, resource_thresholds.c.subject_id, resource_thresholds.c.metric)
)
_rules_of_agent = _rules.where(resource_thresholds.c.agent_id == bindparam("agent_id"))


async def rules_of_agent(conn: AsyncConnection, agent_id: str) -> list[dict[str, Any]]:
    """Every threshold of the agent's host and containers with its state (runs on ingest)."""
    return await fetch_all(conn, _rules_of_agent, {"agent_id": agent_id})


async def rules_of_subject(conn: AsyncConnection, kind: str, subject_id: str) -> list[dict[str, Any]]:
    query = _rules.where(resource_thresholds.c.kind == kind, resource_thresholds.c.subject_id == subject_id)
    return [dict(row) for row in (await conn.execute(query)).mappings()]


async def put_thresholds(conn: AsyncConnection, rows: Sequence[dict[str, Any]]) -> None:
    await upsert_many(conn, resource_thresholds, rows, ("kind", "subject_id", "metric"))


async def put_states(conn: AsyncConnection, rows: Sequence[dict[str, Any]]) -> None:
    await upsert_many(conn, resource_threshold_states, rows, ("kind", "subject_id", "metric"))


async def delete_thresholds(conn: AsyncConnection, kind: str, subject_id: str, metrics: Sequence[str]) -> None:
    for table in (resource_thresholds, resource_threshold_states):
        await conn.execute(
            delete(table).where(table.c.kind == kind, table.c.subject_id == subject_id, table.c.metric.in_(metrics))
        )


async def delete_thresholds_of_agent(conn: AsyncConnection, agent_id: str) -> list[dict[str, Any]]:
    """Remove the thresholds of the agent's host and containers; returns what was removed."""
    removed = [dict(row) for row in (await conn.execute(_rules_of_agent, {"agent_id": agent_id})).mappings()]
    subjects = select(resource_thresholds.c.subject_id).where(resource_thresholds.c.agent_id == agent_id)
    await conn.execute(delete(resource_threshold_states).where(resource_threshold_states.c.subject_id.in_(subjects)))
    await conn.execute(delete(resource_thresholds).where(resource_thresholds.c.agent_id == agent_id))
    return removed


# Sparklines: one query per kind and tier, over every series of the kind.


async def host_buckets(
    conn: AsyncConnection, columns: Sequence[str], since: int, until: int | None, bucket_ms: int
) -> list[tuple[Any, ...]]:
    """(series id, bucket, average of each column) of every host's raw samples in [since, until)."""
    table = host_samples
    bucket = ((table.c.ts // bucket_ms) * bucket_ms).label("bucket")
    where = [table.c.series_id.in_(_series_ids("host")), table.c.ts >= since]
    if until is not None:
        where.append(table.c.ts < until)
    query = (
        select(table.c.series_id, bucket, *(func.avg(table.c[c]) for c in columns))
        .where(*where)
        .group_by(table.c.series_id, bucket)
    )
    return [tuple(row) for row in (await conn.execute(query)).all()]


async def tier_buckets(
    conn: AsyncConnection, table: Table, kind: str, columns: Sequence[str], since: int, until: int, bucket_ms: int
) -> list[tuple[Any, ...]]:
    """(series id, bucket, count-weighted average of each column) of every series of `kind`
    in a rollup tier, over [since, until)."""
    bucket = ((table.c.ts // bucket_ms) * bucket_ms).label("bucket")
    averages = [
        func.sum(table.c[f"{c}_avg"] * table.c[f"{c}_n"]) / func.nullif(func.sum(table.c[f"{c}_n"]), 0) for c in columns
    ]
    query = (
        select(table.c.series_id, bucket, *averages)
        .where(table.c.series_id.in_(_series_ids(kind)), table.c.ts >= since, table.c.ts < until)
        .group_by(table.c.series_id, bucket)
    )
    return [tuple(row) for row in (await conn.execute(query)).all()]


async def all_series(conn: AsyncConnection) -> dict[int, tuple[str, str, str]]:
    """Every series: id → (agent id, kind, name)."""
    query = select(metric_series.c.id, metric_series.c.agent_id, metric_series.c.kind, metric_series.c.name)
    return {int(i): (str(a), str(k), str(n)) for i, a, k, n in (await conn.execute(query)).all()}
