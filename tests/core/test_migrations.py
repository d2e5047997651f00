"""Migrations: the schema they build is the one the code declares, and replicas starting
together on an empty PostgreSQL database migrate it once."""

from __future__ import annotations

import importlib
import json
import pkgutil
from pathlib import Path

import asyncpg
import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, text

import watchkeep
from tests.support import postgres
from tests.support.process import start_serve
from watchkeep.core.db import Store, metadata
from watchkeep.core.db.migrate import alembic_config, head_revisions, migrate


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


def _rows(connection: Connection, sql: str) -> list[tuple[object, ...]]:
    return [tuple(row) for row in connection.execute(text(sql))]


def _samples_move_to_sets_and_back(connection: Connection) -> None:
    config = alembic_config(connection)
    command.upgrade(config, "0002b")
    connection.execute(
        text(
            "INSERT INTO metric_series (id, agent_id, kind, name) VALUES "
            "(1, 'a1', 'host', ''), (2, 'a1', 'container', 'api'), (3, 'a1', 'container', 'db'), "
            "(4, 'a2', 'container', 'api')"
        )
    )
    connection.execute(
        text(
            "INSERT INTO container_samples (series_id, ts, cpu_percent, memory_used_mb, memory_limit_mb, "
            "memory_percent, network_rx_bytes_per_sec, network_tx_bytes_per_sec, block_read_mb, block_write_mb) "
            "VALUES (2, 1000, 1.5, 64, 128, 50, 10, NULL, 1, 2), (3, 1000, 2.5, NULL, NULL, NULL, NULL, NULL, 0, 0), "
            "(2, 2000, 3, 1, 2, 50, 0, 0, 0, 0), (4, 1000, 7, 8, 16, 50, 1, 1, 1, 1)"
        )
    )
    connection.commit()
    command.upgrade(config, "heads")
    stored = _rows(connection, "SELECT agent_id, ts, samples FROM container_sample_sets ORDER BY agent_id, ts")
    assert [(agent, ts, json.loads(str(samples))) for agent, ts, samples in stored] == [
        ("a1", 1000, {"api": [1.5, 64, 128, 50, 10, None, 1, 2], "db": [2.5, None, None, None, None, None, 0, 0]}),
        ("a1", 2000, {"api": [3, 1, 2, 50, 0, 0, 0, 0]}),
        ("a2", 1000, {"api": [7, 8, 16, 50, 1, 1, 1, 1]}),
    ]
    connection.commit()
    command.downgrade(config, "0002b")
    assert _rows(connection, "SELECT * FROM container_samples ORDER BY series_id, ts") == [
        (2, 1000, 1.5, 64, 128, 50, 10, None, 1, 2),
        (2, 2000, 3, 1, 2, 50, 0, 0, 0, 0),
        (3, 1000, 2.5, None, None, None, None, None, 0, 0),
        (4, 1000, 7, 8, 16, 50, 1, 1, 1, 1),
    ]
    connection.commit()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_stored_container_samples_survive_the_move_to_one_row_per_agent_and_time(
    backend: str, tmp_path: Path
) -> None:
    name = None
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'samples.db'}"
    else:
        await postgres.require()
        name = await postgres.create_database()
        url = postgres.database_url(name)
    store = Store(url)
    await store.start()
    try:
        async with store.engine.connect() as conn:
            await conn.run_sync(_samples_move_to_sets_and_back)
    finally:
        await store.close()
        if name is not None:
            await postgres.drop_database(name)
