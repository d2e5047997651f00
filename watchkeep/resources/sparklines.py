"""Recent CPU and memory series of every host and container at once, for the dashboard's
sparklines: from the 1-minute rollups up to the tier's watermark and from the raw samples
after it, one query per kind and tier (never one per series)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import msgspec
from sqlalchemy.ext.asyncio import AsyncConnection

from watchkeep.resources import repository as repo
from watchkeep.resources import rollups
from watchkeep.resources.tables import CONTAINER_METRICS

# The two series a sparkline shows, as stored columns; per kind, the column of each.
COLUMNS = ("cpu_percent", "memory_percent")
_INDEX = tuple(CONTAINER_METRICS.index(column) for column in COLUMNS)
_decode = msgspec.json.Decoder(dict[str, list[float | None]])

# (kind, agent id, name) → per column of COLUMNS, the average of each bucket (None: no sample)
Series = dict[tuple[str, str, str], list[list[float | None]]]


@dataclass(frozen=True)
class Window:
    start: int  # the first bucket's start, epoch ms
    bucket_ms: int
    points: int

    @classmethod
    def ending(cls, now_ms: int, span_ms: int, points: int) -> Window:
        """`points` buckets over about the last `span_ms`, the newest holding `now_ms`; each a
        whole number of minutes, so a bucket is never split between two tiers."""
        bucket = max(rollups.MINUTE_MS, span_ms // points // rollups.MINUTE_MS * rollups.MINUTE_MS)
        return cls(now_ms // bucket * bucket - (points - 1) * bucket, bucket, points)

    def slot(self, ts: int) -> int | None:
        index = (ts - self.start) // self.bucket_ms
        return index if 0 <= index < self.points else None


async def recent(conn: AsyncConnection, window: Window) -> Series:
    end = window.start + window.points * window.bucket_ms
    marks = await repo.marks(conn)
    # rolled up before `cut` (a bucket boundary); raw samples from it on
    cut = max(window.start, marks.get(rollups.MINUTE, window.start) // window.bucket_ms * window.bucket_ms)
    series = await repo.all_series(conn)
    found: Series = {}

    def put(key: tuple[str, str, str], ts: int, values: tuple[float | None, ...]) -> None:
        slot = window.slot(ts)
        if slot is None:
            return
        lines = found.setdefault(key, [[None] * window.points for _ in COLUMNS])
        for line, value in zip(lines, values, strict=True):
            line[slot] = None if value is None else round(float(value), 2)

    host_tier, container_tier = rollups.TIERS[rollups.MINUTE]
    if cut > window.start:
        for table, kind in ((host_tier, "host"), (container_tier, "container")):
            for series_id, ts, *values in await repo.tier_buckets(
                conn, table, kind, COLUMNS, window.start, cut, window.bucket_ms
            ):
                agent_id, _, name = series.get(int(series_id), ("", "", ""))
                if agent_id:
                    put((kind, agent_id, name), int(ts), tuple(values))
    for series_id, ts, *values in await repo.host_buckets(conn, COLUMNS, cut, None, window.bucket_ms):
        agent_id, _, name = series.get(int(series_id), ("", "", ""))
        if agent_id:
            put(("host", agent_id, name), int(ts), tuple(values))
    # raw container samples: one row per agent and time holding all its containers
    sums: dict[tuple[str, str, int], list[list[float]]] = defaultdict(lambda: [[0.0, 0.0] for _ in COLUMNS])
    for agent_id, ts, samples in await repo.container_sets_between(conn, cut, end):
        bucket = ts // window.bucket_ms * window.bucket_ms
        for name, values in _decode.decode(samples).items():
            acc = sums[(agent_id, name, bucket)]
            for slot, index in zip(acc, _INDEX, strict=True):
                value = values[index] if index < len(values) else None
                if value is not None:
                    slot[0] += value
                    slot[1] += 1
    for (agent_id, name, bucket), acc in sums.items():
        put(("container", agent_id, name), bucket, tuple(total / n if n else None for total, n in acc))
    return found
