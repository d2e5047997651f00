"""All SQL on webhook subscriptions."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from watchkeep.webhooks.tables import webhooks


async def insert_webhook(conn: AsyncConnection, row: dict[str, Any]) -> None:
    await conn.execute(insert(webhooks).values(**row))


async def webhook_by_id(conn: AsyncConnection, webhook_id: str) -> RowMapping | None:
    return (await conn.execute(select(webhooks).where(webhooks.c.id == webhook_id))).mappings().first()


async def list_webhooks(conn: AsyncConnection, *, enabled_only: bool = False) -> list[RowMapping]:
    query = select(webhooks).order_by(webhooks.c.created_at, webhooks.c.id)
    if enabled_only:
        query = query.where(webhooks.c.enabled.is_(True))
    return list((await conn.execute(query)).mappings())


async def update_webhook(conn: AsyncConnection, webhook_id: str, values: dict[str, Any]) -> int:
    return (await conn.execute(update(webhooks).where(webhooks.c.id == webhook_id).values(**values))).rowcount


async def seal_webhook(conn: AsyncConnection, clear: RowMapping, *, url: str, secret: str) -> None:
    """Replace a URL and secret stored in the clear by their sealed forms, unless they changed
    meanwhile; `updated_at` stays, as the subscription did not change."""
    query = (
        update(webhooks)
        .where(webhooks.c.id == clear["id"], webhooks.c.url == clear["url"], webhooks.c.secret == clear["secret"])
        .values(url=url, secret=secret)
    )
    await conn.execute(query)


async def delete_webhook(conn: AsyncConnection, webhook_id: str) -> int:
    return (await conn.execute(delete(webhooks).where(webhooks.c.id == webhook_id))).rowcount


async def record_success(conn: AsyncConnection, webhook_id: str) -> None:
    query = update(webhooks).where(webhooks.c.id == webhook_id).values(consecutive_failures=0, last_error=None)
    await conn.execute(query)


async def record_failure(conn: AsyncConnection, webhook_id: str, error: str) -> int | None:
    """Count one more failure in a row; returns the new count (None: gone or disabled)."""
    query = (
        update(webhooks)
        .where(webhooks.c.id == webhook_id, webhooks.c.enabled.is_(True))
        .values(consecutive_failures=webhooks.c.consecutive_failures + 1, last_error=error)
        .returning(webhooks.c.consecutive_failures)
    )
    value = (await conn.execute(query)).scalar()
    return int(value) if value is not None else None


async def disable(conn: AsyncConnection, webhook_id: str, now_ms: int) -> bool:
    query = (
        update(webhooks)
        .where(webhooks.c.id == webhook_id, webhooks.c.enabled.is_(True))
        .values(enabled=False, disabled_at=now_ms, updated_at=now_ms)
    )
    return bool((await conn.execute(query)).rowcount)
