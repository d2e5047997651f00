"""Endpoint checks the hub hands the agent (`endpointChecks` in its config): run near the
service with the hub's own check code (watchkeep.probes), each on its interval, and
sent back as `endpointResults` in the next payload. A check is due at a sample when its
interval has passed since it last ran, so an interval shorter than the push interval runs
once per push."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import msgspec

from watchkeep.probes import CheckContext, CheckSpec, run_check
from watchkeep.protocol.ingest import EndpointCheck, EndpointResult

# A check a little early still counts as due: samples are not exactly an interval apart.
EARLY_SECONDS = 0.5


def _rfc3339(epoch_seconds: float) -> str:
    return datetime.fromtimestamp(epoch_seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _settings(check: EndpointCheck) -> dict[str, Any]:
    section = check.http if check.type == "http" else check.tls if check.type == "tls" else None
    return {} if section is None else msgspec.structs.asdict(section)


class EndpointChecker:
    def __init__(self, monotonic: Callable[[], float] = time.monotonic, now: Callable[[], float] = time.time) -> None:
        self._monotonic = monotonic
        self._now = now
        self._last_run: dict[str, float] = {}
        self.context = CheckContext()

    async def aclose(self) -> None:
        await self.context.aclose()

    def due(self, checks: list[EndpointCheck]) -> list[EndpointCheck]:
        now = self._monotonic()
        known = {check.id for check in checks}
        for gone in set(self._last_run) - known:
            del self._last_run[gone]
        return [
            check
            for check in checks
            if check.id not in self._last_run
            or now - self._last_run[check.id] >= check.interval_seconds - EARLY_SECONDS
        ]

    async def run(self, checks: list[EndpointCheck]) -> list[EndpointResult]:
        """Run the due checks at once; their results, each stamped with when it started."""
        due = self.due(checks)
        started = self._monotonic()
        for check in due:
            self._last_run[check.id] = started
        return list(await asyncio.gather(*(self._one(check) for check in due)))

    async def _one(self, check: EndpointCheck) -> EndpointResult:
        checked_at = _rfc3339(self._now())
        spec = CheckSpec(
            endpoint_id=check.id,
            type=check.type,
            target=check.target,
            timeout_seconds=check.timeout_seconds,
            settings=_settings(check),
        )
        outcome = await run_check(spec, self.context)
        return EndpointResult(
            endpoint_id=check.id,
            status="up" if outcome.up else "down",
            response_ms=outcome.response_ms,
            http_status=outcome.http_status,
            error=None if outcome.error is None else outcome.error[:4000],
            checked_at=checked_at,
        )
