"""Logs of a container on the hub's own Docker engine, read straight from it (protocol/docker.py).

The engine applies `tail` before it filters by stream, so the last lines of one stream are
read in widening passes until enough of them came or the whole log was read."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

from watchkeep.core.errors import not_found, service_unavailable
from watchkeep.protocol.docker import EngineClient, EngineUnavailable, LogLine, NoSuchContainer

# Lines a stream-filtered read asks for per wanted line on its first pass.
_WIDEN = 4


@dataclass(frozen=True, slots=True)
class LogFilter:
    tail: int
    since_ms: int | None
    stream: str | None  # stdout | stderr; None: both

    def keeps(self, line: LogLine) -> bool:
        if self.stream is not None and line.stream != self.stream:
            return False
        if self.since_ms is None:
            return True
        return line.at is not None and at_ns(line.at) >= self.since_ms * 1_000_000

    @property
    def since_seconds(self) -> int | None:
        return None if self.since_ms is None else self.since_ms // 1000


def at_ns(at: str) -> int:
    """`2026-12-03T05:25:37.123456789Z` → epoch nanoseconds (the engine's precision)."""
    whole, _, fraction = at.rstrip("Z").partition(".")
    try:
        seconds = int(datetime.fromisoformat(whole).replace(tzinfo=UTC).timestamp())
    except ValueError:
        return 0
    digits = (fraction + "000000000")[:9] if fraction.isdigit() else "0"
    return seconds * 1_000_000_000 + int(digits)


def engine_error(docker_host: str, exc: EngineUnavailable, container_id: str) -> Exception:
    if isinstance(exc, NoSuchContainer):
        return not_found("container", container_id)
    return service_unavailable(f"The Docker engine at {docker_host} did not answer: {exc}", retry_after=5)


async def _read(client: EngineClient, engine_id: str, tail: int | None, wanted: LogFilter) -> tuple[list[LogLine], int]:
    lines: list[LogLine] = []
    read = 0
    async for line in client.logs(engine_id, tail=tail, since=wanted.since_seconds):
        read += 1
        if wanted.keeps(line):
            lines.append(line)
    return lines, read


async def last_lines(client: EngineClient, engine_id: str, wanted: LogFilter) -> list[LogLine]:
    """The last `tail` lines matching the filter, oldest first."""
    if wanted.tail == 0:
        return []
    ask = wanted.tail if wanted.stream is None else wanted.tail * _WIDEN
    while True:
        lines, read = await _read(client, engine_id, ask, wanted)
        if len(lines) >= wanted.tail or read < ask:
            # The engine merges its two pipes as it reads them: oldest first is by time.
            lines.sort(key=lambda line: at_ns(line.at or ""))
            return lines[-wanted.tail :]
        ask *= _WIDEN


async def follow(client: EngineClient, engine_id: str, wanted: LogFilter) -> AsyncIterator[LogLine]:
    """The last lines, then every new one until the container stops (the engine ends the
    stream) or the caller stops reading. New lines are read from the last one sent (or from
    the start of the call), so none is lost or sent twice between the two reads."""
    started = int(time.time())
    first = await last_lines(client, engine_id, wanted)
    for line in first:
        yield line
    after = at_ns(first[-1].at) if first and first[-1].at else 0
    since = after // 1_000_000_000 if after else started
    if wanted.since_seconds is not None:
        since = max(since, wanted.since_seconds)
    stdout, stderr = wanted.stream != "stderr", wanted.stream != "stdout"
    async for line in client.logs(engine_id, tail=None, since=since, stdout=stdout, stderr=stderr, follow=True):
        if line.at is not None and at_ns(line.at) <= after:
            continue
        if wanted.keeps(line):
            yield line
