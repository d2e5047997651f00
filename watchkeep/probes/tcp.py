"""TCP: a connection to `host:port` is accepted within the timeout."""

from __future__ import annotations

import asyncio
import contextlib
import time

from watchkeep.probes.base import CheckContext, CheckSpec, Outcome, elapsed_ms, split_host_port


async def check(spec: CheckSpec, context: CheckContext) -> Outcome:
    host, port = split_host_port(spec.target)
    started = time.perf_counter()
    try:
        async with asyncio.timeout(spec.timeout_seconds):
            _, writer = await asyncio.open_connection(host, port)
    except TimeoutError:
        return Outcome.down(f"timed out after {spec.timeout_seconds:g} s", elapsed_ms(started))
    except OSError as exc:
        return Outcome.down(f"cannot connect: {exc.strerror or exc}", elapsed_ms(started))
    took = elapsed_ms(started)
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()
    return Outcome(True, took)
