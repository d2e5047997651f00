"""All SQL on endpoints, their check results and rollups."""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import BigInteger, and_, bindparam, case, delete, insert, literal, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.sqlite.dml import Insert
from sqlalchemy.ext.asyncio import AsyncConnection

from watchkeep.endpoints.records import EndpointRecord, LocationRecord, ResultRecord, RollupRecord
from watchkeep.endpoints.tables import endpoint_locations, endpoint_results, endpoint_rollups, endpoints

HOUR_MS = 3_600_000

# Every check result runs these: built once, with bound parameters, so each is compiled once
# and found in the statement cache afterwards.
_BY_ID = select(endpoints).where(endpoints.c.id == bindparam("endpoint_id"))
_BY_ID_LOCKED = _BY_ID.with_for_update()
_UPDATE_AFTER_RESULT = update(endpoints).where(endpoints.c.id == bindparam("target_id"))
_INSERT_RESULT = insert(endpoint_results)


async def insert_endpoint(conn: AsyncConnection, row: dict[str, Any]) -> EndpointRecord:
    result = await conn.execute(insert(endpoints).values(**row).returning(*endpoints.c))
    return EndpointRecord.of(result.one())


async def endpoint_by_id(conn: AsyncConnection, endpoint_id: str, *, lock: bool = False) -> EndpointRecord | None:
    query = _BY_ID_LOCKED if lock and conn.dialect.name == "postgresql" else _BY_ID
    row = (await conn.execute(query, {"endpoint_id": endpoint_id})).first()
    return None if row is None else EndpointRecord.of(row)


async def list_endpoints(conn: AsyncConnection) -> list[EndpointRecord]:
    query = select(endpoints).order_by(endpoints.c.name, endpoints.c.id)
    return [EndpointRecord.of(row) for row in await conn.execute(query)]


async def update_endpoint(conn: AsyncConnection, endpoint_id: str, values: dict[str, Any]) -> EndpointRecord | None:
    query = update(endpoints).where(endpoints.c.id == endpoint_id).values(**values).returning(*endpoints.c)
    row = (await conn.execute(query)).first()
    return None if row is None else EndpointRecord.of(row)


async def delete_endpoint(conn: AsyncConnection, endpoint_id: str) -> EndpointRecord | None:
    for table in (endpoint_results, endpoint_rollups, endpoint_locations):
        await conn.execute(delete(table).where(table.c.endpoint_id == endpoint_id))
    row = (await conn.execute(delete(endpoints).where(endpoints.c.id == endpoint_id).returning(*endpoints.c))).first()
    return None if row is None else EndpointRecord.of(row)


async def claim_due(
    conn: AsyncConnection, now_ms: int, limit: int, *, lease_margin_ms: int, excluded: list[str]
) -> list[tuple[EndpointRecord, int]]:
    """Claim up to `limit` endpoints that are due and not being checked: move each one's due
    time on by its interval (to now plus the interval when it fell behind) and lease it for
    its timeout plus `lease_margin_ms`. Returns each claimed endpoint with the due time it
    was claimed for. On PostgreSQL the rows are chosen with SKIP LOCKED, so replicas claiming
    at once get different rows; the update checks again that each is due and not leased (a
    compare-and-set), and the lease keeps a row from being claimed again while its check runs."""
    c = endpoints.c
    due = and_(
        c.paused.is_(False),
        c.active.is_(True),
        c.suspended.is_(False),
        c.next_check_at.is_not(None),
        c.next_check_at <= now_ms,
        or_(c.lease_until.is_(None), c.lease_until < now_ms),
    )
    chosen = select(c.id, c.next_check_at).where(due)
    if excluded:
        chosen = chosen.where(c.id.not_in(excluded))
    chosen = chosen.order_by(c.next_check_at).limit(limit)
    if conn.dialect.name == "postgresql":
        chosen = chosen.with_for_update(skip_locked=True)
    due_at = {row[0]: int(row[1]) for row in await conn.execute(chosen)}
    if not due_at:
        return []
    interval_ms = c.interval_seconds * 1000
    following = c.next_check_at + interval_ms
    now = literal(now_ms, BigInteger)
    query = (
        update(endpoints)
        .where(and_(c.id.in_(list(due_at)), due))
        .values(
            next_check_at=case((following <= now_ms, now + interval_ms), else_=following),
            lease_until=now + (c.timeout_seconds * 1000).cast(BigInteger) + lease_margin_ms,
        )
        .returning(*endpoints.c)
    )
    claimed = [EndpointRecord.of(row) for row in await conn.execute(query)]
    return [(row, due_at[row.id]) for row in claimed]


async def record_result(
    conn: AsyncConnection, endpoint_id: str, values: dict[str, Any], result: dict[str, Any]
) -> None:
    """The endpoint's row after a result (`values`), and the result itself."""
    await conn.execute(_UPDATE_AFTER_RESULT, {**values, "target_id": endpoint_id})
    await conn.execute(_INSERT_RESULT, {**result, "endpoint_id": endpoint_id})


@functools.cache
def _rollup_upsert(dialect: str) -> Insert:
    maker = postgresql.insert if dialect == "postgresql" else sqlite.insert
    names = ("endpoint_id", "hour", "checks", "up_checks", "timed_checks", "response_sum_ms")
    statement = maker(endpoint_rollups).values(
        **{name: bindparam(name) for name in names},
        response_max_ms=bindparam("response_ms", type_=endpoint_rollups.c.response_max_ms.type),
        response_min_ms=bindparam("response_ms", type_=endpoint_rollups.c.response_min_ms.type),
    )
    c, new = endpoint_rollups.c, statement.excluded
    upsert = statement.on_conflict_do_update(
        index_elements=["endpoint_id", "hour"],
        set_={
            "checks": c.checks + new.checks,
            "up_checks": c.up_checks + new.up_checks,
            "timed_checks": c.timed_checks + new.timed_checks,
            "response_sum_ms": c.response_sum_ms + new.response_sum_ms,
            "response_max_ms": case(
                (new.response_max_ms.is_(None), c.response_max_ms),
                (or_(c.response_max_ms.is_(None), new.response_max_ms > c.response_max_ms), new.response_max_ms),
                else_=c.response_max_ms,
            ),
            "response_min_ms": case(
                (new.response_min_ms.is_(None), c.response_min_ms),
                (or_(c.response_min_ms.is_(None), new.response_min_ms < c.response_min_ms), new.response_min_ms),
                else_=c.response_min_ms,
            ),
        },
    )
    return upsert  # type: ignore[return-value]


async def add_to_rollup(
    conn: AsyncConnection, endpoint_id: str, at_ms: int, up: bool, response_ms: float | None
) -> None:
    """Count one result into its endpoint's hour."""
    params = {
        "endpoint_id": endpoint_id,
        "hour": at_ms - at_ms % HOUR_MS,
        "checks": 1,
        "up_checks": 1 if up else 0,
        "timed_checks": 1 if response_ms is not None else 0,
        "response_sum_ms": response_ms or 0.0,
        "response_ms": response_ms,
    }
    await conn.execute(_rollup_upsert(conn.dialect.name), params)


async def list_results(
    conn: AsyncConnection,
    endpoint_id: str,
    limit: int,
    *,
    since_ms: int | None = None,
    newest_first: bool = True,
    status: str | None = None,
) -> list[ResultRecord]:
    c = endpoint_results.c
    query = select(endpoint_results).where(c.endpoint_id == endpoint_id)
    if status is not None:
        query = query.where(c.status == status)
    if since_ms is not None:
        query = query.where(c.at >= since_ms)
    order = (c.at.desc(), c.id.desc()) if newest_first else (c.at, c.id)
    query = query.order_by(*order).limit(limit)
    return [ResultRecord.of(row) for row in await conn.execute(query)]


async def rollups_since(conn: AsyncConnection, endpoint_id: str, since_ms: int) -> list[RollupRecord]:
    c = endpoint_rollups.c
    query = select(endpoint_rollups).where(and_(c.endpoint_id == endpoint_id, c.hour >= since_ms)).order_by(c.hour)
    return [RollupRecord.of(row) for row in await conn.execute(query)]


async def sparkline_rows(conn: AsyncConnection) -> list[tuple[str, str, str, bool, str]]:
    """(id, name, status, paused, recent) of every endpoint; `paused` also while it is not
    checked for its container (stopped or removed), shown unknown like a paused one."""
    c = endpoints.c
    query = select(c.id, c.name, c.status, c.paused, c.recent, c.active, c.suspended).order_by(c.name, c.id)
    return [
        (row[0], row[1], row[2], bool(row[3]) or not row[5] or bool(row[6]), row[4])
        for row in await conn.execute(query)
    ]


async def prune_results(conn: AsyncConnection, before_ms: int, limit: int) -> int:
    old = select(endpoint_results.c.id).where(endpoint_results.c.at < before_ms).limit(limit)
    result = await conn.execute(delete(endpoint_results).where(endpoint_results.c.id.in_(old.scalar_subquery())))
    return int(result.rowcount or 0)


async def prune_rollups(conn: AsyncConnection, before_ms: int) -> int:
    result = await conn.execute(delete(endpoint_rollups).where(endpoint_rollups.c.hour < before_ms))
    return int(result.rowcount or 0)


async def discovered_for(conn: AsyncConnection, container_ids: list[str]) -> list[EndpointRecord]:
    """The discovered endpoints of these containers (public ids)."""
    if not container_ids:
        return []
    c = endpoints.c
    query = select(endpoints).where(and_(c.source == "discovered", c.container_id.in_(container_ids)))
    return [EndpointRecord.of(row) for row in await conn.execute(query.order_by(c.container_id, c.discovery_key))]


async def of_container(conn: AsyncConnection, container_id: str) -> list[EndpointRecord]:
    c = endpoints.c
    query = select(endpoints).where(c.container_id == container_id).order_by(c.discovery_key, c.id)
    return [EndpointRecord.of(row) for row in await conn.execute(query)]


async def checked_by(conn: AsyncConnection, location: str, limit: int, *, every: bool = False) -> list[EndpointRecord]:
    """The endpoints `location` checks now (active, not paused, container running; with
    `every`, all that name it). The locations are a JSON list of ids, so a quoted id matches
    only itself."""
    c = endpoints.c
    condition = c.locations.contains(f'"{location}"', autoescape=True)
    if not every:
        condition = and_(condition, c.active.is_(True), c.paused.is_(False), c.suspended.is_(False))
    query = select(endpoints).where(condition).order_by(c.id).limit(limit)
    return [row for row in map(EndpointRecord.of, await conn.execute(query)) if location in row.location_list]


async def location_rows(conn: AsyncConnection, endpoint_id: str) -> list[LocationRecord]:
    c = endpoint_locations.c
    query = select(endpoint_locations).where(c.endpoint_id == endpoint_id).order_by(c.location)
    return [LocationRecord.of(row) for row in await conn.execute(query)]


async def put_location(conn: AsyncConnection, row: dict[str, Any]) -> None:
    c = endpoint_locations.c
    where = and_(c.endpoint_id == row["endpoint_id"], c.location == row["location"])
    result = await conn.execute(update(endpoint_locations).where(where).values(**row))
    if not result.rowcount:
        await conn.execute(insert(endpoint_locations).values(**row))


async def drop_locations_except(conn: AsyncConnection, endpoint_id: str, kept: list[str]) -> None:
    c = endpoint_locations.c
    await conn.execute(delete(endpoint_locations).where(and_(c.endpoint_id == endpoint_id, c.location.not_in(kept))))
