"""The agent loop: sample, spool, push in order. A sample goes to the spool before it is
pushed; the spool is drained oldest first and stops at the first failure, then waits with
exponential backoff and full jitter (at least what the hub's Retry-After asks)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

from watchkeep.agent.containerlogs import following
from watchkeep.agent.hubclient import HubClient, PushOutcome
from watchkeep.agent.sampler import Sampler
from watchkeep.agent.spool import Spool
from watchkeep.protocol.ingest import AgentConfig, encode

log = logging.getLogger("watchkeep.agent")
T = TypeVar("T")
# Seconds between samples when neither the agent nor the hub has said.
DEFAULT_INTERVAL = 15.0
# Seconds between the log-only payloads while the hub follows a container's logs.
FOLLOW_SECONDS = 2.0


@dataclass
class Backoff:
    base: float = 1.0
    cap: float = 300.0
    rng: random.Random = field(default_factory=random.Random)
    failures: int = 0

    def next_delay(self, retry_after: float | None = None) -> float:
        ceiling = min(self.cap, self.base * 2**self.failures)
        self.failures += 1
        delay = self.rng.uniform(0, ceiling)
        return max(delay, retry_after or 0.0)

    def reset(self) -> None:
        self.failures = 0


@dataclass
class DrainReport:
    delivered: int = 0
    rejected: int = 0
    last: PushOutcome | None = None


class Agent:
    def __init__(
        self,
        sampler: Sampler,
        spool: Spool,
        hub: HubClient,
        *,
        interval: float | None = None,
        config_refresh: float = 60.0,
        backoff: Backoff | None = None,
        now: Callable[[], float] = time.time,
    ) -> None:
        self.sampler = sampler
        self.spool = spool
        self.hub = hub
        self.local_interval = interval
        self.config_refresh = config_refresh
        self.backoff = backoff or Backoff()
        self._now = now
        self.config: AgentConfig | None = None
        self.next_attempt_at = 0.0
        self._next_config_at = 0.0

    @property
    def interval(self) -> float:
        return self.interval_and_source()[0]

    def interval_and_source(self) -> tuple[float, str]:
        """An interval given to the agent (flag, environment or file) wins; otherwise the
        hub's push interval; until the hub has said one, the default."""
        if self.local_interval is not None:
            return self.local_interval, "set on the agent"
        if self.config is not None and self.config.push_interval_seconds > 0:
            return float(self.config.push_interval_seconds), "from the hub"
        registration = self.hub.registration
        if registration is not None and registration.push_interval_seconds:
            return registration.push_interval_seconds, "from the hub"
        return DEFAULT_INTERVAL, "default, until the hub says"

    async def refresh_config(self, force: bool = False) -> None:
        if not force and self._now() < self._next_config_at:
            return
        self._next_config_at = self._now() + self.config_refresh
        config = await self.hub.fetch_config()
        if config is not None:
            before = self.interval
            self.config = config
            if self.interval != before:
                log.info("pushing every %g s now (%s)", *self.interval_and_source())

    async def collect(self) -> bytes:
        payload = await self.sampler.sample(self.config, dropped_payloads=self.spool.dropped)
        body: bytes = encode(payload)
        self.spool.append(body, uuid.uuid4().hex)
        return body

    async def drain(self) -> DrainReport:
        """Push spooled payloads oldest first until the spool is empty or a push fails."""
        report = DrainReport()
        if self._now() < self.next_attempt_at:
            return report
        self.spool.enforce_bounds()
        while (entry := self.spool.oldest()) is not None:
            outcome = await self.hub.push(entry.body(), entry.key)
            report.last = outcome
            if outcome.kind == "retry":
                delay = self.backoff.next_delay(outcome.retry_after)
                self.next_attempt_at = self._now() + delay
                log.warning("push failed (%s); %d payload(s) spooled, next try in %.1f s",
                            outcome.message or outcome.status, len(self.spool), delay)  # fmt: skip
                return report
            self.spool.remove(entry)
            if outcome.kind == "rejected":
                report.rejected += 1
                log.error("hub rejected a payload (%s): %s; it is not sent again", outcome.status, outcome.message)
            else:
                report.delivered += 1
        self.backoff.reset()
        self.next_attempt_at = 0.0
        return report

    @property
    def following(self) -> bool:
        """Whether the hub follows a container's logs: the agent then sends new lines every
        `FOLLOW_SECONDS` between its samples, and fetches its config as often."""
        return self.config is not None and following(self.config.log_requests, self._now())

    async def log_tick(self) -> DrainReport | None:
        """Between samples, while following: the config, then only the new log lines."""
        await self.refresh_config(force=True)
        if self.config is None or not self.following:
            return None
        payload = await self.sampler.sample_logs(self.config)
        if payload is None:
            return None
        self.spool.append(encode(payload), uuid.uuid4().hex)
        return await self.drain()

    async def tick(self) -> DrainReport:
        """One step: sample first (a slow hub never delays the sample), then talk to the hub."""
        await self.collect()
        await self.refresh_config()
        return await self.drain()

    async def run(self, stop: asyncio.Event) -> None:
        """Until `stop` is set. On stop a sample being taken is still spooled; a push in
        flight is abandoned (its payload stays in the spool, replayed under the same key)."""
        while not stop.is_set():
            started = time.monotonic()
            try:
                await self.collect()  # finishes even when stop is set meanwhile
                await _unless(stop, self.refresh_config())
                await _unless(stop, self.drain())
            except Exception:
                log.exception("agent loop step failed; going on")
            while not stop.is_set():
                remaining = self.interval - (time.monotonic() - started)
                if remaining <= 0:
                    break
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), min(remaining, FOLLOW_SECONDS) if self.following else remaining)
                if self.following and not stop.is_set() and self.interval - (time.monotonic() - started) > 0:
                    try:
                        await _unless(stop, self.log_tick())
                    except Exception:
                        log.exception("sending followed log lines failed; going on")
        log.info("agent stopped; %d payload(s) kept in the spool", len(self.spool))


async def _unless(stop: asyncio.Event, work: Awaitable[T]) -> T | None:
    """Run `work`, cancelling it when `stop` is set first."""
    task = asyncio.ensure_future(work)
    stopper = asyncio.ensure_future(stop.wait())
    try:
        done, _ = await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopper.cancel()
    if task in done:
        return task.result()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    return None
