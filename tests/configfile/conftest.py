from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from sqlalchemy import select

from watchkeep.core.clock import FrozenClock
from watchkeep.core.config import Settings
from watchkeep.core.db import Store
from watchkeep.core.db.metadata import metadata
from watchkeep.core.db.migrate import migrate
from watchkeep.core.hub import Hub


@pytest.fixture
async def hub(database_url: str, settings_for: Callable[..., Settings], clock: FrozenClock) -> AsyncIterator[Hub]:
    """A hub's services on the test's database, without serving: import and export are
    commands, not routes. Loopback targets are allowed, as channels in tests point there."""
    store = Store(database_url)
    await store.start()
    try:
        await migrate(store)
        yield Hub(settings=settings_for(database_url, allow_private_targets=True), store=store, clock=clock)
    finally:
        await store.close()


async def snapshot(hub: Hub) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, to show that something wrote nothing."""
    rows = {}
    async with hub.store.read() as conn:
        for table in metadata.sorted_tables:
            found = (await conn.execute(select(table))).all()
            rows[table.name] = sorted((tuple(row) for row in found), key=repr)
    return rows
