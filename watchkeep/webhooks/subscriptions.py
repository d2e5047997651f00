"""The enabled webhook subscriptions, as the event subscriber sees them.

Every event on the bus asks which subscriptions want it, thousands of times a second on the
ping path, so each hub reads the list from the database at most once a second. A change
made through this process is seen at once (it clears the list); one made on another replica
within a second. Delivery checks the subscription again, so a subscription disabled or
deleted elsewhere within that second gets nothing sent."""

from __future__ import annotations

import json
import time

from sqlalchemy.engine import RowMapping

from watchkeep.core.hub import Hub
from watchkeep.webhooks import repository as repo

FRESH_SECONDS = 1.0


class _Enabled:
    def __init__(self) -> None:
        self.rows: list[RowMapping] | None = None
        self.read_at = 0.0
        self.generation = 0
        # event type → the rows of `rows` that want it
        self.wanted: dict[str, list[RowMapping]] = {}


async def enabled_subscriptions(hub: Hub) -> list[RowMapping]:
    entry = hub.local(_Enabled)
    # Freshness of a cache, not a business time: the monotonic clock, not the hub's.
    now = time.monotonic()
    if entry.rows is not None and now - entry.read_at <= FRESH_SECONDS:
        return entry.rows
    generation = entry.generation
    async with hub.store.read() as conn:
        rows = await repo.list_webhooks(conn, enabled_only=True)
    if entry.generation == generation:  # no change was made while reading
        entry.rows, entry.read_at, entry.wanted = rows, now, {}
    return rows


def wants(row: RowMapping, event_type: str) -> bool:
    types: list[str] = json.loads(row["event_types"])
    return "*" in types or event_type in types


async def subscriptions_for(hub: Hub, event_type: str) -> list[RowMapping]:
    """The enabled subscriptions that want events of `event_type` (every stored payload of
    every agent asks, so the answer is kept with the list)."""
    rows = await enabled_subscriptions(hub)
    entry = hub.local(_Enabled)
    if entry.rows is not rows:  # read just now, not kept
        return [row for row in rows if wants(row, event_type)]
    found = entry.wanted.get(event_type)
    if found is None:
        found = entry.wanted[event_type] = [row for row in rows if wants(row, event_type)]
    return found


def forget_subscriptions(hub: Hub) -> None:
    """Called after a subscription changed through this process."""
    entry = hub.local(_Enabled)
    entry.rows = None
    entry.wanted = {}
    entry.generation += 1
