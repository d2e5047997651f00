"""All SQL on users, API keys and sessions."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from watchkeep.core.auth.tables import api_keys, sessions, users


async def insert_user(conn: AsyncConnection, row: dict[str, Any]) -> None:
    await conn.execute(insert(users).values(**row))


async def user_by_id(conn: AsyncConnection, user_id: str) -> RowMapping | None:
    return (await conn.execute(select(users).where(users.c.id == user_id))).mappings().first()


async def user_by_username(conn: AsyncConnection, username: str) -> RowMapping | None:
    query = select(users).where(users.c.username == username)
    return (await conn.execute(query)).mappings().first()


async def list_users(conn: AsyncConnection) -> list[RowMapping]:
    return list((await conn.execute(select(users).order_by(users.c.username))).mappings())


async def count_users(conn: AsyncConnection) -> int:
    return int((await conn.execute(select(func.count()).select_from(users))).scalar_one())


async def count_admins(conn: AsyncConnection) -> int:
    query = select(func.count()).select_from(users).where(users.c.role == "admin")
    return int((await conn.execute(query)).scalar_one())


async def update_user(conn: AsyncConnection, user_id: str, values: dict[str, Any]) -> int:
    result = await conn.execute(update(users).where(users.c.id == user_id).values(**values))
    return result.rowcount


async def delete_user(conn: AsyncConnection, user_id: str) -> int:
    return (await conn.execute(delete(users).where(users.c.id == user_id))).rowcount


async def insert_key(conn: AsyncConnection, row: dict[str, Any]) -> None:
    await conn.execute(insert(api_keys).values(**row))


async def list_keys(conn: AsyncConnection) -> list[RowMapping]:
    query = (
        select(api_keys, users.c.username).join(users, users.c.id == api_keys.c.user_id).order_by(api_keys.c.created_at)
    )
    return list((await conn.execute(query)).mappings())


async def key_by_id(conn: AsyncConnection, key_id: str) -> RowMapping | None:
    query = (
        select(api_keys, users.c.username).join(users, users.c.id == api_keys.c.user_id).where(api_keys.c.id == key_id)
    )
    return (await conn.execute(query)).mappings().first()


async def active_key_by_hash(conn: AsyncConnection, key_hash: str) -> RowMapping | None:
    query = (
        select(api_keys, users.c.username, users.c.role)
        .join(users, users.c.id == api_keys.c.user_id)
        .where(api_keys.c.key_hash == key_hash, api_keys.c.revoked_at.is_(None))
    )
    return (await conn.execute(query)).mappings().first()


async def revoke_key(conn: AsyncConnection, key_id: str, now_ms: int) -> int:
    query = update(api_keys).where(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None)).values(revoked_at=now_ms)
    return (await conn.execute(query)).rowcount


async def touch_key(conn: AsyncConnection, key_id: str, now_ms: int) -> None:
    await conn.execute(update(api_keys).where(api_keys.c.id == key_id).values(last_used_at=now_ms))


async def insert_session(conn: AsyncConnection, row: dict[str, Any]) -> None:
    await conn.execute(insert(sessions).values(**row))


async def session_by_hash(conn: AsyncConnection, id_hash: str) -> RowMapping | None:
    query = (
        select(sessions, users.c.username, users.c.role)
        .join(users, users.c.id == sessions.c.user_id)
        .where(sessions.c.id_hash == id_hash)
    )
    return (await conn.execute(query)).mappings().first()


async def delete_session(conn: AsyncConnection, id_hash: str) -> None:
    await conn.execute(delete(sessions).where(sessions.c.id_hash == id_hash))


async def delete_sessions_expired(conn: AsyncConnection, now_ms: int) -> int:
    return (await conn.execute(delete(sessions).where(sessions.c.expires_at <= now_ms))).rowcount


async def delete_user_sessions(conn: AsyncConnection, user_id: str) -> None:
    await conn.execute(delete(sessions).where(sessions.c.user_id == user_id))


async def count_sessions(conn: AsyncConnection) -> int:
    return int((await conn.execute(select(func.count()).select_from(sessions))).scalar_one())
