"""Migrations: the schema they build is the one the code declares, and replicas starting
together on an empty PostgreSQL database migrate it once."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

import asyncpg
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection

import watchkeep
from tests.support import postgres
from tests.support.process import start_serve
from watchkeep.core.db import Store, metadata
from watchkeep.core.db.migrate import head_revisions, migrate


def _import_all_tables() -> None:
    for module in pkgutil.walk_packages(watchkeep.__path__, "watchkeep."):
        if module.name.endswith(".tables"):
            importlib.import_module(module.name)


def _differences(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return [d for d in compare_metadata(context, metadata) if not _is_alembic_table(d)]


def _is_alembic_table(diff: object) -> bool:
    return isinstance(diff, tuple) and len(diff) > 1 and getattr(diff[1], "name", "") == "alembic_version"


async def test_the_migrated_schema_matches_the_declared_tables(database_url: str) -> None:
    _import_all_tables()
    store = Store(database_url)
    await store.start()
    try:
        await migrate(store)
        async with store.engine.connect() as conn:
            assert await conn.run_sync(_differences) == []
    finally:
        await store.close()


async def test_migrating_twice_changes_nothing(database_url: str) -> None:
    store = Store(database_url)
    await store.start()
    try:
        await migrate(store)  # the fixture's database may already be migrated
        assert await migrate(store) is False
    finally:
        await store.close()


async def test_two_hubs_starting_together_on_an_empty_database_both_serve_and_migrate_once(
    tmp_path: Path,
) -> None:
    await postgres.require()
    name = await postgres.create_database()
    url = postgres.database_url(name)
    hubs = [start_serve(tmp_path, url, name=f"hub{i}") for i in range(2)]
    try:
        for hub in hubs:
            hub.wait_healthy()
        migrated = [h for h in hubs if "migrated schema from revision (empty)" in h.stderr()]
        current = [h for h in hubs if "schema is current" in h.stderr()]
        assert len(migrated) == 1, [h.stderr() for h in hubs]
        assert len(current) == 1
        conn = await asyncpg.connect(url)
        try:
            versions = sorted(r["version_num"] for r in await conn.fetch("SELECT version_num FROM alembic_version"))
            admins = await conn.fetchval("SELECT count(*) FROM users WHERE username = 'admin'")
        finally:
            await conn.close()
        assert tuple(versions) == head_revisions()
        assert admins == 1
    finally:
        for hub in hubs:
            hub.terminate()
        await postgres.drop_database(name)
