"""Property: every rollup row, minute or hour, host or container, equals the count, average
and maximum of the raw samples its bucket covers; rolling the same time up again (a repeated
or interrupted step) leaves the same rows."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select

from watchkeep.core.clock import FrozenClock, to_ms
from watchkeep.core.config import Settings
from watchkeep.core.db import Store
from watchkeep.core.db.migrate import migrate
from watchkeep.core.hub import Hub
from watchkeep.resources import repository as repo
from watchkeep.resources.rollups import HOUR_MS, MINUTE_MS, TIERS, rollup_step
from watchkeep.resources.tables import (
    CONTAINER_METRICS,
    container_sample_sets,
    host_samples,
    metric_rollup_marks,
    metric_series,
)

BASE = to_ms(datetime(2026, 5, 1, tzinfo=UTC))
SPAN_S = 3 * 3600
HOST_DRAWN = ("cpu_percent", "load1")
CONTAINER_DRAWN = ("cpu_percent", "memory_used_mb")
CONTAINERS = ("api", "db")

values = st.none() | st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)
host_samples_st = st.dictionaries(
    st.integers(0, SPAN_S - 1), st.fixed_dictionaries({m: values for m in HOST_DRAWN}), max_size=40
)
container_samples_st = st.dictionaries(
    st.integers(0, SPAN_S - 1),
    st.dictionaries(st.sampled_from(CONTAINERS), st.fixed_dictionaries({m: values for m in CONTAINER_DRAWN})),
    max_size=40,
)

Key = tuple[str, int]  # (series name, bucket)


def _expected(samples: list[tuple[str, int, dict[str, float | None]]], bucket_ms: int) -> dict[Key, dict[str, Any]]:
    """The direct aggregation: per series and bucket, per metric (count, avg, max)."""
    grouped: dict[Key, dict[str, list[float]]] = {}
    for name, ts, metrics in samples:
        bucket = grouped.setdefault((name, ts // bucket_ms * bucket_ms), {m: [] for m in metrics})
        for metric, value in metrics.items():
            if value is not None:
                bucket[metric].append(value)
    return {
        key: {m: (len(vs), sum(vs) / len(vs) if vs else None, max(vs) if vs else None) for m, vs in by_metric.items()}
        for key, by_metric in grouped.items()
    }


def _close(got: tuple[Any, ...], want: tuple[Any, ...]) -> bool:
    return got[0] == want[0] and all(
        (g is None and w is None) or (g is not None and w is not None and g == pytest.approx(w, rel=1e-9, abs=1e-6))
        for g, w in zip(got[1:], want[1:], strict=True)
    )


def test_every_rollup_equals_a_direct_aggregation_of_its_raw_samples(
    database_url: str, settings_for: Callable[..., Settings]
) -> None:
    loop = asyncio.new_event_loop()
    store = Store(database_url)
    loop.run_until_complete(store.start())
    clock = FrozenClock()
    hub = Hub(settings=settings_for(database_url), store=store, clock=clock)
    try:
        loop.run_until_complete(migrate(store))

        @settings(max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
        @given(host_samples_st, container_samples_st)
        def check(host: dict[int, dict[str, float | None]], containers: dict[int, dict[str, dict[str, Any]]]) -> None:
            loop.run_until_complete(_check(hub, clock, host, containers))

        check()
    finally:
        loop.run_until_complete(store.close())
        loop.close()


async def _check(
    hub: Hub,
    clock: FrozenClock,
    host: dict[int, dict[str, float | None]],
    containers: dict[int, dict[str, dict[str, Any]]],
) -> None:
    async def reset(conn: Any) -> None:
        for table in (host_samples, container_sample_sets, metric_series, metric_rollup_marks, *TIERS["minute"]):
            await conn.execute(delete(table))
        for table in TIERS["hour"]:
            await conn.execute(delete(table))

    await hub.store.write(reset)
    names = [("host", "")] + [("container", name) for name in CONTAINERS]

    async def store_samples(conn: Any) -> dict[str, int]:
        await repo.add_series(conn, [{"agent_id": "agent-1", "kind": k, "name": n} for k, n in names])
        series = {row["name"] or "host": row["id"] for row in await repo.series_of(conn, "agent-1")}
        rows = [{"series_id": series["host"], "ts": BASE + s * 1000, **metrics} for s, metrics in host.items()]
        await repo.insert_samples(conn, host_samples, rows)
        for s, by_name in containers.items():
            packed = {name: [metrics.get(m) for m in CONTAINER_METRICS] for name, metrics in by_name.items()}
            await repo.insert_sample_set(conn, "agent-1", BASE + s * 1000, json.dumps(packed))
        return series

    series = await hub.store.write(store_samples)
    raw = [("host", BASE + s * 1000, metrics) for s, metrics in host.items()] + [
        (name, BASE + s * 1000, dict(metrics)) for s, by_name in containers.items() for name, metrics in by_name.items()
    ]
    clock.set(datetime.fromtimestamp((BASE + SPAN_S * 1000 + HOUR_MS) / 1000, UTC))

    async def rolled() -> dict[str, dict[Key, dict[str, Any]]]:
        by_id = {series_id: name for name, series_id in series.items()}
        found: dict[str, dict[Key, dict[str, Any]]] = {}
        async with hub.store.read() as conn:
            for tier, (host_table, container_table) in TIERS.items():
                found[tier] = {}
                for table, drawn in ((host_table, HOST_DRAWN), (container_table, CONTAINER_DRAWN)):
                    for row in (await conn.execute(select(table))).mappings():
                        found[tier][(by_id[row["series_id"]], int(row["ts"]))] = {
                            m: (row[f"{m}_n"], row[f"{m}_avg"], row[f"{m}_max"]) for m in drawn
                        }
        return found

    await rollup_step(hub)
    first = await rolled()
    for tier, bucket_ms in (("minute", MINUTE_MS), ("hour", HOUR_MS)):
        want = _expected(raw, bucket_ms)
        got = first[tier]
        assert set(got) == set(want), tier
        for key, metrics in want.items():
            for metric, expected in metrics.items():
                assert _close(got[key][metric], expected), (tier, key, metric, got[key][metric], expected)

    # Rolled up again from the start: the same rows, none twice.
    async def rewind(conn: Any) -> None:
        await repo.set_mark(conn, "minute", BASE)
        await repo.set_mark(conn, "hour", BASE)

    await hub.store.write(rewind)
    await rollup_step(hub)
    assert await rolled() == first
