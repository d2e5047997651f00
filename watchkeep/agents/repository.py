"""All SQL on agents, their signing key and their check results."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import bindparam, delete, func, insert, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from watchkeep.agents.tables import agent_checks, agent_signing_keys, agents
from watchkeep.core.db.bulk import execute_many, fetch_all, insert_missing, upsert_many


async def insert_agent(conn: AsyncConnection, row: dict[str, Any]) -> None:
    await conn.execute(insert(agents).values(**row))


# What a payload's write unit needs of its agent's row.
_get = select(
    agents.c.name,
    agents.c.status,
    agents.c.token_generation,
    agents.c.last_payload_at,
    agents.c.ingest_stamp,
).where(agents.c.id == bindparam("agent_id"))
_get_for_update = _get.with_for_update()
TOUCH_FIELDS = (
    "last_heartbeat_at",
    "last_payload_at",
    "version",
    "hostname",
    "os",
    "kernel",
    "uptime_seconds",
    "server_healthy",
    "dropped_payloads",
    "collector_errors",
    "endpoint",
    "platform_id",
    "ingest_stamp",
)
# What a payload changes on its agent: a NULL leaves the stored value.
_touch = (
    update(agents)
    .where(agents.c.id == bindparam("agent_id"))
    .values(
        last_seen_at=bindparam("now"),
        updated_at=bindparam("now"),
        **{name: func.coalesce(bindparam(name), agents.c[name]) for name in TOUCH_FIELDS},
    )
)


async def get_locked(conn: AsyncConnection, agent_id: str) -> dict[str, Any] | None:
    """What a payload needs of the agent's row (name, status, token generation, newest
    payload time, ingest stamp), locked against concurrent payloads until the transaction ends."""
    statement = _get if conn.dialect.name == "sqlite" else _get_for_update
    rows = await fetch_all(conn, statement, {"agent_id": agent_id})
    return rows[0] if rows else None


async def touch(conn: AsyncConnection, agent_id: str, now: int, values: dict[str, Any]) -> None:
    """Record a contact at `now` and the facts in `values` (keys from TOUCH_FIELDS)."""
    row = {"agent_id": agent_id, "now": now, **{name: values.get(name) for name in TOUCH_FIELDS}}
    await execute_many(conn, _touch, [row])


async def get(conn: AsyncConnection, agent_id: str, *, for_update: bool = False) -> RowMapping | None:
    query = select(agents).where(agents.c.id == agent_id)
    if for_update and conn.dialect.name != "sqlite":
        query = query.with_for_update()
    return (await conn.execute(query)).mappings().first()


async def by_identity(conn: AsyncConnection, identity: str) -> RowMapping | None:
    return (await conn.execute(select(agents).where(agents.c.identity == identity))).mappings().first()


async def credential_by(conn: AsyncConnection, column: str, secret_hash: str) -> RowMapping | None:
    """The agent (id, token generation) whose `token_hash` or `agent_key_hash` is given."""
    query = select(agents.c.id, agents.c.token_generation).where(agents.c[column] == secret_hash)
    return (await conn.execute(query)).mappings().first()


async def list_agents(conn: AsyncConnection, platform: str | None = None) -> list[RowMapping]:
    query = select(agents).order_by(agents.c.created_at, agents.c.id)
    if platform is not None:
        query = query.where(agents.c.platform == platform)
    return list((await conn.execute(query)).mappings())


async def overview_facts(conn: AsyncConnection) -> list[RowMapping]:
    """What a list of every agent shows: names, contact and interval (the status follows)."""
    query = select(
        agents.c.id,
        agents.c.name,
        agents.c.hostname,
        agents.c.last_seen_at,
        agents.c.push_interval_seconds,
    )
    return list((await conn.execute(query)).mappings())


async def status_facts(conn: AsyncConnection) -> list[RowMapping]:
    query = select(
        agents.c.id,
        agents.c.name,
        agents.c.status,
        agents.c.last_seen_at,
        agents.c.push_interval_seconds,
    )
    return list((await conn.execute(query)).mappings())


async def update_agent(conn: AsyncConnection, agent_id: str, values: dict[str, Any]) -> int:
    result = await conn.execute(update(agents).where(agents.c.id == agent_id).values(**values))
    return int(result.rowcount)


async def change_status(conn: AsyncConnection, agent_id: str, old: str, new: str, seen: int | None, now: int) -> bool:
    """Compare-and-set: True only for the one caller that moved the agent from `old`."""
    query = (
        update(agents)
        .where(agents.c.id == agent_id, agents.c.status == old)
        .where(agents.c.last_seen_at.is_(None) if seen is None else agents.c.last_seen_at == seen)
        .values(status=new, status_changed_at=now)
    )
    return int((await conn.execute(query)).rowcount) == 1


async def mark_online(conn: AsyncConnection, agent_id: str, now: int) -> bool:
    """True only for the one caller that brought the agent online."""
    query = (
        update(agents)
        .where(agents.c.id == agent_id, agents.c.status != "online")
        .values(status="online", status_changed_at=now)
    )
    return int((await conn.execute(query)).rowcount) == 1


async def delete_agent(conn: AsyncConnection, agent_id: str) -> int:
    await conn.execute(delete(agent_checks).where(agent_checks.c.agent_id == agent_id))
    return int((await conn.execute(delete(agents).where(agents.c.id == agent_id))).rowcount)


async def put_checks(conn: AsyncConnection, rows: Sequence[dict[str, Any]]) -> None:
    """Keep each check's latest result; a result already stored (same time) is not rewritten."""
    keys = ("agent_id", "kind", "container_name", "target")
    await upsert_many(conn, agent_checks, rows, keys, newer_than="checked_at", strictly_newer=True)


async def checks_of(conn: AsyncConnection, agent_id: str) -> list[RowMapping]:
    query = (
        select(agent_checks)
        .where(agent_checks.c.agent_id == agent_id)
        .order_by(agent_checks.c.kind, agent_checks.c.container_name, agent_checks.c.target)
    )
    return list((await conn.execute(query)).mappings())


async def signing_secret(conn: AsyncConnection) -> str | None:
    query = select(agent_signing_keys.c.secret).where(agent_signing_keys.c.name == "agent-token")
    value = (await conn.execute(query)).scalar_one_or_none()
    return None if value is None else str(value)


async def seal_signing_secret(conn: AsyncConnection, clear: str, sealed: str) -> None:
    query = (
        update(agent_signing_keys)
        .where(agent_signing_keys.c.name == "agent-token", agent_signing_keys.c.secret == clear)
        .values(secret=sealed)
    )
    await conn.execute(query)


async def add_signing_secret(conn: AsyncConnection, secret: str, now: int) -> None:
    row = {"name": "agent-token", "secret": secret, "created_at": now}
    await insert_missing(conn, agent_signing_keys, [row], ("name",))


async def clear_ingest_stamp(conn: AsyncConnection, agent_id: str) -> bool:
    result = await conn.execute(update(agents).where(agents.c.id == agent_id).values(ingest_stamp=None))
    return bool(result.rowcount)
