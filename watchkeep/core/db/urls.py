"""Turn the user-facing database URL into the async driver URL."""

from __future__ import annotations

from sqlalchemy.engine import URL, make_url


def async_url(database_url: str) -> URL:
    url = make_url(database_url)
    if url.drivername in ("sqlite", "sqlite+aiosqlite", "sqlite+pysqlite"):
        return url.set(drivername="sqlite+aiosqlite")
    if url.drivername in ("postgresql", "postgres", "postgresql+asyncpg", "postgresql+psycopg"):
        return url.set(drivername="postgresql+asyncpg")
    raise ValueError(f"unsupported database URL scheme: {url.drivername}")
