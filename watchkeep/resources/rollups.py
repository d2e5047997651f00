"""Metric rollup tiers: raw samples roll up into 1-minute buckets, 1-minute buckets into
1-hour ones, and each tier is deleted past its retention once the next tier holds it.

Each tier keeps a watermark in `metric_rollup_marks`: every bucket before it is rolled up. A
write unit rolls up the complete buckets from the watermark on (replacing whatever the target
held there, so a repeated or interrupted unit leaves the same rows) and moves the watermark,
all in one transaction. A minute is complete `MINUTE_LAG_MS` after it ends, which leaves
agents' payloads that time to arrive; a sample stored later than that (a replayed backlog)
stays in the raw tier only. An hour is complete once the minute tier's watermark passed it."""

from __future__ import annotations

import logging
from typing import Any

import msgspec
from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncConnection

from watchkeep.core.hub import Hub
from watchkeep.resources import repository as repo
from watchkeep.resources.tables import (
    CONTAINER_METRICS,
    container_rollups_hour,
    container_rollups_minute,
    host_rollups_hour,
    host_rollups_minute,
)

log = logging.getLogger("watchkeep.resources")

MINUTE_MS = 60_000
HOUR_MS = 3_600_000
DAY_MS = 24 * HOUR_MS
MINUTE_LAG_MS = 60_000
# How much one write unit rolls up at most, so a backlog (after an upgrade, or a replica that
# was down) is worked off in short transactions.
MINUTE_BATCH_MS = HOUR_MS
HOUR_BATCH_MS = DAY_MS
# Write units in one turn of the loop; the next turn goes on where this one stopped.
UNITS_PER_TURN = 48

MINUTE = "minute"
HOUR = "hour"
TIERS: dict[str, tuple[Table, Table]] = {
    MINUTE: (host_rollups_minute, container_rollups_minute),
    HOUR: (host_rollups_hour, container_rollups_hour),
}

_decode = msgspec.json.Decoder(dict[str, list[float | None]])


def _floor(ms: int, size: int) -> int:
    return ms // size * size


def container_rollup_rows(
    sets: list[tuple[str, int, str]], series: dict[tuple[str, str], int], bucket_ms: int
) -> list[dict[str, Any]]:
    """The rollup rows of stored container sample sets (agent, time, JSON): per container
    series and bucket, each metric's count, average and maximum."""
    width = len(CONTAINER_METRICS)
    # (series, bucket) -> per metric [count, sum, max]
    sums: dict[tuple[int, int], list[list[float]]] = {}
    for agent_id, ts, samples in sets:
        bucket = _floor(ts, bucket_ms)
        for name, values in _decode.decode(samples).items():
            series_id = series.get((agent_id, name))
            if series_id is None:
                continue
            key = (series_id, bucket)
            acc = sums.get(key)
            if acc is None:
                acc = sums[key] = [[0, 0.0, float("-inf")] for _ in range(width)]
            for index, value in enumerate(values[:width]):
                if value is None:
                    continue
                slot = acc[index]
                slot[0] += 1
                slot[1] += value
                if value > slot[2]:
                    slot[2] = value
    rows = []
    for (series_id, bucket), acc in sums.items():
        row: dict[str, Any] = {"series_id": series_id, "ts": bucket}
        for metric, (n, total, top) in zip(CONTAINER_METRICS, acc, strict=True):
            row[f"{metric}_n"] = int(n)
            row[f"{metric}_avg"] = total / n if n else None
            row[f"{metric}_max"] = top if n else None
        rows.append(row)
    return rows


async def _start_minutes(conn: AsyncConnection, complete: int) -> int:
    """The minute tier's watermark; a first one where the raw samples begin."""
    mark = await repo.lock_mark(conn, MINUTE)
    if mark is None:
        first = await repo.earliest_raw(conn)
        await repo.init_mark(conn, MINUTE, min(complete, _floor(first, MINUTE_MS)) if first is not None else complete)
        mark = await repo.lock_mark(conn, MINUTE)
        assert mark is not None
    return mark


async def _roll_minutes(hub: Hub, now_ms: int) -> bool:
    """One batch of the minute tier; True when complete minutes remain after it. The
    container samples are read and summed before the write unit, which keeps the writer free
    meanwhile; the unit writes only if the watermark is still where the batch began."""
    complete = _floor(now_ms - MINUTE_LAG_MS, MINUTE_MS)

    async def start(conn: AsyncConnection) -> int:
        return await _start_minutes(conn, complete)

    mark = await hub.store.write(start)
    until = min(complete, mark + MINUTE_BATCH_MS)
    if until <= mark:
        return False
    async with hub.store.read() as conn:
        sets = await repo.container_sets_between(conn, mark, until)
        series = await repo.container_series(conn) if sets else {}
    rows = container_rollup_rows(sets, series, MINUTE_MS)
    host, container = TIERS[MINUTE]

    async def write(conn: AsyncConnection) -> bool:
        if await repo.lock_mark(conn, MINUTE) != mark:
            return True  # another replica rolled this batch up meanwhile
        await repo.roll_up_host_samples(conn, host, mark, until, MINUTE_MS)
        await repo.replace_container_rollups(conn, container, mark, until, rows)
        await repo.set_mark(conn, MINUTE, until)
        return until < complete

    return await hub.store.write(write)


async def _roll_hours(conn: AsyncConnection) -> bool:
    """One write unit of the hour tier (from the minute tier); True when complete hours remain."""
    minute_mark = await repo.lock_mark(conn, MINUTE)
    if minute_mark is None:
        return False
    complete = _floor(minute_mark, HOUR_MS)
    mark = await repo.lock_mark(conn, HOUR)
    if mark is None:
        first = await repo.earliest_rollup(conn, TIERS[MINUTE])
        await repo.init_mark(conn, HOUR, min(complete, _floor(first, HOUR_MS)) if first is not None else complete)
        mark = await repo.lock_mark(conn, HOUR)
        assert mark is not None
    until = min(complete, mark + HOUR_BATCH_MS)
    if until <= mark:
        return False
    for source, target, kind in zip(TIERS[MINUTE], TIERS[HOUR], ("host", "container"), strict=True):
        await repo.roll_up_rollups(conn, source, target, kind, mark, until, HOUR_MS)
    await repo.set_mark(conn, HOUR, until)
    return until < complete


async def rollup_step(hub: Hub) -> bool:
    """Roll up what is complete, in at most UNITS_PER_TURN batches; True when work was left."""
    now = hub.clock.now_ms()
    for _ in range(UNITS_PER_TURN):
        if not await _roll_minutes(hub, now):
            break
    else:
        return True
    for _ in range(UNITS_PER_TURN):
        if not await hub.store.write(_roll_hours):
            return False
    return True


async def retention_step(hub: Hub) -> bool:
    """Delete each tier's rows past its retention, but none that the next tier does not hold yet."""
    settings = hub.settings
    now = hub.clock.now_ms()

    async def unit(conn: AsyncConnection) -> int:
        marks = await repo.marks(conn)
        removed = 0
        if MINUTE in marks:
            raw_cutoff = min(now - settings.metrics_raw_retention_hours * HOUR_MS, marks[MINUTE])
            removed += await repo.delete_raw_before(conn, raw_cutoff)
        if HOUR in marks:
            minute_cutoff = min(now - settings.metrics_minute_rollup_retention_days * DAY_MS, marks[HOUR])
            removed += await repo.delete_rollups_before(conn, TIERS[MINUTE], minute_cutoff)
        hour_cutoff = now - settings.metrics_hour_rollup_retention_days * DAY_MS
        removed += await repo.delete_rollups_before(conn, TIERS[HOUR], hour_cutoff)
        return removed

    removed = await hub.store.write(unit)
    if removed:
        log.info("metric retention removed %d rows", removed)
    return False
