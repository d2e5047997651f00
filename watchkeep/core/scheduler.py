"""Background loops. Each loop step is a plain async function that returns whether it found
work: the loop runs it again at once when it did, and waits its interval when it did not (or
until its `wake` event is set, for loops that something can tell of new work). A failing
step is logged and retried after the interval; it never ends the loop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

log = logging.getLogger("watchkeep.scheduler")

Step = Callable[[], Awaitable[bool]]


@dataclass
class _Loop:
    name: str
    step: Step
    interval: float
    wake: asyncio.Event | None = None


class Scheduler:
    def __init__(self) -> None:
        self._loops: list[_Loop] = []
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = asyncio.Event()

    def add(self, name: str, step: Step, interval: float, wake: asyncio.Event | None = None) -> None:
        self._loops.append(_Loop(name, step, interval, wake))

    def start(self) -> None:
        self._stopping.clear()
        for loop in self._loops:
            self._tasks.append(asyncio.create_task(self._run(loop), name=f"watchkeep-{loop.name}"))

    async def stop(self) -> None:
        """Let each loop finish the step it is in, then end it."""
        self._stopping.set()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()

    async def _run(self, loop: _Loop) -> None:
        while not self._stopping.is_set():
            found = False
            try:
                found = await loop.step()
            except Exception:
                log.exception("background step %s failed; retrying in %.0fs", loop.name, loop.interval)
            if found:
                await asyncio.sleep(0)
                continue
            await self._pause(loop)

    async def _pause(self, loop: _Loop) -> None:
        """Wait the loop's interval, or less when it is stopped or woken."""
        if loop.wake is None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=loop.interval)
            return
        waits = [asyncio.ensure_future(self._stopping.wait()), asyncio.ensure_future(loop.wake.wait())]
        try:
            await asyncio.wait(waits, timeout=loop.interval, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiting in waits:
                waiting.cancel()
