"""PostgreSQL for tests: a migrated template database per test session, and a fresh
database cloned from it for each test.

The server is `WATCHKEEP_TEST_POSTGRES_URL` (default postgresql://postgres@127.0.0.1:5432/test).
Outside CI a test that needs it is skipped with the reason when it is unreachable; under
CI=true it fails instead."""

from __future__ import annotations

import os
import secrets

import asyncpg
import pytest
from sqlalchemy.engine import make_url

ADMIN_URL = os.environ.get("WATCHKEEP_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

_available: bool | None = None
_unavailable_reason = ""


def database_url(name: str) -> str:
    return make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)


async def _connect() -> asyncpg.Connection:
    return await asyncpg.connect(ADMIN_URL, timeout=3)


async def available() -> bool:
    global _available, _unavailable_reason
    if _available is None:
        try:
            conn = await _connect()
            await conn.close()
            _available = True
        except (TimeoutError, OSError, asyncpg.PostgresError) as exc:
            _available = False
            _unavailable_reason = f"PostgreSQL at {ADMIN_URL} is unreachable: {exc}"
    return _available


async def require() -> None:
    if await available():
        return
    if IN_CI:
        pytest.fail(f"CI=true but {_unavailable_reason}")
    pytest.skip(_unavailable_reason)


async def create_database(template: str | None = None) -> str:
    name = f"wk_test_{secrets.token_hex(6)}"
    conn = await _connect()
    try:
        if template:
            await conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        else:
            await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return name


async def drop_database(name: str) -> None:
    conn = await _connect()
    try:
        await conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
            name,
        )
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
    finally:
        await conn.close()
