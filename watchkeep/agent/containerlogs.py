"""Container logs for the hub: answers to the log requests of the agent's config, and, unasked,
the last lines of a container seen to stop, die or restart between two samples.

A request without `followUntil` is answered once (its last `tail` lines). A follow request is
answered in every payload until its time is up: first its last lines, then the lines after
the last one sent (read from the engine with `since` that line's second, the ones up to it
dropped), so no line is sent twice or lost between two payloads."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from watchkeep.protocol.docker import EngineClient, EngineUnavailable, LogLine, NoSuchContainer
from watchkeep.protocol.ingest import MAX_LOG_BATCHES, MAX_LOG_LINES, ContainerLogs, LogLineWire, LogRequest

log = logging.getLogger("watchkeep.agent")

# Lines sent for a container that died
DIE_TAIL = 50
# One-shot requests remembered as answered (the hub lists one until the answer is stored)
_ANSWERED_KEPT = 500
_DOWN = ("exited", "dead")
# A container as one sample saw it: id, name, state, restart count
Seen = tuple[str, str, str, float | None]


def _ns(at: str) -> int:
    whole, _, fraction = at.rstrip("Z").partition(".")
    try:
        seconds = int(datetime.fromisoformat(whole).replace(tzinfo=UTC).timestamp())
    except ValueError:
        return 0
    digits = (fraction + "000000000")[:9] if fraction.isdigit() else "0"
    return seconds * 1_000_000_000 + int(digits)


def _epoch(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def _wire(lines: Sequence[LogLine]) -> list[LogLineWire]:
    return [LogLineWire(stream=line.stream, at=line.at, text=line.text) for line in lines if line.at]  # type: ignore[arg-type]


def following(requests: Sequence[LogRequest], now: float) -> bool:
    """Whether any request still follows a container at `now`."""
    return any((until := _epoch(r.follow_until)) is not None and until > now for r in requests)


class ContainerLogReader:
    def __init__(self, now: Callable[[], float] = time.time) -> None:
        self._now = now
        self._cursors: dict[str, int] = {}  # follow request → the last line sent (ns)
        self._answered: dict[str, None] = {}
        self._last: dict[str, tuple[str, float | None]] | None = None  # container → (state, restarts)

    async def _read(self, client: EngineClient, request: LogRequest, since: float | None) -> list[LogLine]:
        stdout, stderr = request.stream != "stderr", request.stream != "stdout"
        return [
            line
            async for line in client.logs(
                request.container_id,
                tail=None if since is not None and request.id in self._cursors else request.tail,
                since=None if since is None else int(since),
                stdout=stdout,
                stderr=stderr,
            )
        ]

    async def _answer(self, client: EngineClient, request: LogRequest) -> ContainerLogs | None:
        now = self._now()
        follow_until = _epoch(request.follow_until)
        if follow_until is None and request.id in self._answered:
            return None
        if follow_until is not None and follow_until <= now:
            self._cursors.pop(request.id, None)
            return None
        cursor = self._cursors.get(request.id)
        try:
            if cursor is None:
                lines = (await self._read(client, request, _epoch(request.since)))[-MAX_LOG_LINES:]
            else:
                lines = [
                    line for line in await self._read(client, request, cursor / 1e9) if _ns(line.at or "") > cursor
                ]
                lines = lines[:MAX_LOG_LINES]
        except NoSuchContainer:
            lines = []
        if follow_until is None:
            self._answered[request.id] = None
            while len(self._answered) > _ANSWERED_KEPT:
                del self._answered[next(iter(self._answered))]
        else:
            stamped = [line for line in lines if line.at]
            self._cursors[request.id] = _ns(stamped[-1].at or "") if stamped else (cursor or int(now * 1e9))
            if cursor is not None and not lines:
                return None  # nothing new this time
        return ContainerLogs(
            container_id=request.container_id,
            container_name=request.container_name,
            reason="request",
            request_id=request.id,
            lines=_wire(lines),
        )

    async def answer(self, client: EngineClient, requests: Sequence[LogRequest]) -> list[ContainerLogs]:
        """The answers due in this payload."""
        answers = []
        for request in requests:
            try:
                found = await self._answer(client, request)
            except EngineUnavailable as exc:
                log.info("logs of %s not read: %s", request.container_name, exc)
                continue
            if found is not None:
                answers.append(found)
        live = {r.id for r in requests}
        for gone in set(self._cursors) - live:
            del self._cursors[gone]
        return answers[:MAX_LOG_BATCHES]

    async def died(self, client: EngineClient, seen: Sequence[Seen]) -> list[ContainerLogs]:
        """The last lines of each container (id, name, state, restart count) that went down or
        restarted since the previous sample; nothing on the first sample."""
        found = []
        first = self._last is None
        current: dict[str, tuple[str, float | None]] = {}
        for container_id, name, state, restarts in seen:
            current[container_id] = (state, restarts)
            before = None if self._last is None else self._last.get(container_id)
            if first or before is None:
                continue
            went_down = before[0] == "running" and state in _DOWN
            restarted = restarts is not None and before[1] is not None and restarts > before[1]
            if not (went_down or restarted):
                continue
            try:
                lines = [line async for line in client.logs(container_id, tail=DIE_TAIL)]
            except EngineUnavailable as exc:
                log.info("last lines of %s not read: %s", name, exc)
                continue
            found.append(
                ContainerLogs(container_id=container_id, container_name=name, reason="die", lines=_wire(lines))
            )
        self._last = current
        return found
