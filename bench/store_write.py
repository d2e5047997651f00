"""Write throughput of the store: concurrent 3-statement write units (a read, an update and
an insert, the shape of a ping), on SQLite and on PostgreSQL, side by side.

    .venv/bin/python bench/store_write.py [--units 5000] [--concurrency 64]
        [--postgres postgresql://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from sqlalchemy import Column, Integer, MetaData, String, Table, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from watchkeep.core.db import Store

_metadata = MetaData()
_rows = Table(
    "bench_store_rows",
    _metadata,
    Column("id", Integer, primary_key=True),
    Column("n", Integer),
    Column("s", String(20)),
)


async def run(url: str, units: int, concurrency: int) -> tuple[float, float, float]:
    store = Store(url)
    await store.start()
    async with store.engine.begin() as conn:
        await conn.run_sync(_metadata.drop_all)
        await conn.run_sync(_metadata.create_all)
        await conn.execute(insert(_rows), [{"id": i, "n": 0, "s": "x"} for i in range(100)])

    def unit_for(i: int):  # type: ignore[no-untyped-def]
        async def unit(conn: AsyncConnection) -> None:
            await conn.execute(select(_rows.c.n).where(_rows.c.id == i % 100))
            await conn.execute(update(_rows).where(_rows.c.id == i % 100).values(n=_rows.c.n + 1))
            await conn.execute(insert(_rows).values(id=1000 + i, n=1, s="p"))

        return unit

    latencies: list[float] = []
    gate = asyncio.Semaphore(concurrency)

    async def one(i: int) -> None:
        async with gate:
            started = time.perf_counter()
            await store.write(unit_for(i))
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(units)))
    elapsed = time.perf_counter() - started
    async with store.engine.begin() as conn:
        await conn.run_sync(_metadata.drop_all)
    await store.close()
    latencies.sort()
    return units / elapsed, latencies[len(latencies) // 2] * 1000, latencies[int(len(latencies) * 0.99)] * 1000


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--units", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    parts = []
    with tempfile.TemporaryDirectory() as tmp:
        targets = [("sqlite", f"sqlite:///{Path(tmp) / 'bench.db'}"), ("postgresql", args.postgres)]
        for name, url in targets:
            rate, p50, p99 = await run(url, args.units, args.concurrency)
            parts.append(f"{name}: {rate:,.0f} writes/s p50 {p50:.1f} ms p99 {p99:.1f} ms")
    print(f"store_write units={args.units} concurrency={args.concurrency} | " + " | ".join(parts))


if __name__ == "__main__":
    asyncio.run(main())
