"""All SQL on stored idempotent responses."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from watchkeep.core.idempotency.tables import idempotency_keys


async def get(conn: AsyncConnection, key_hash: str) -> RowMapping | None:
    query = select(idempotency_keys).where(idempotency_keys.c.key_hash == key_hash)
    return (await conn.execute(query)).mappings().first()


async def claim(conn: AsyncConnection, key_hash: str, request_hash: str, now_ms: int, stale_before_ms: int) -> bool:
    """Claim the key for a new request: insert it, or take over a row that expired or whose
    request was abandoned. Returns False when another request holds it."""
    existing = await get(conn, key_hash)
    if existing is None:
        await conn.execute(
            insert(idempotency_keys).values(key_hash=key_hash, request_hash=request_hash, created_at=now_ms)
        )
        return True
    result = await conn.execute(
        update(idempotency_keys)
        .where(idempotency_keys.c.key_hash == key_hash, idempotency_keys.c.created_at < stale_before_ms)
        .values(
            request_hash=request_hash,
            created_at=now_ms,
            status_code=None,
            content_type=None,
            body=None,
            completed_at=None,
        )
    )
    return result.rowcount == 1


async def complete(conn: AsyncConnection, key_hash: str, values: dict[str, Any]) -> None:
    await conn.execute(update(idempotency_keys).where(idempotency_keys.c.key_hash == key_hash).values(**values))


async def release(conn: AsyncConnection, key_hash: str) -> None:
    await conn.execute(delete(idempotency_keys).where(idempotency_keys.c.key_hash == key_hash))


async def delete_older_than(conn: AsyncConnection, before_ms: int) -> int:
    query = delete(idempotency_keys).where(idempotency_keys.c.created_at < before_ms)
    return (await conn.execute(query)).rowcount
