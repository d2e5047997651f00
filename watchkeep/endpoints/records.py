"""The typed records the repository returns."""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from typing import Any, Self


class _Record:
    @classmethod
    def of(cls, row: Any) -> Self:
        mapping = row._mapping if hasattr(row, "_mapping") else row
        names = [f.name for f in fields(cls)]  # type: ignore[arg-type]
        return cls(**{name: mapping[name] for name in names})


@dataclass(frozen=True, slots=True)
class EndpointRecord(_Record):
    id: str
    name: str
    type: str
    target: str
    interval_seconds: int
    timeout_seconds: float
    failure_threshold: int
    recovery_threshold: int
    config: str
    paused: bool
    status: str
    consecutive_failures: int
    consecutive_successes: int
    status_since: int | None
    last_check_at: int | None
    last_result: str | None
    last_response_ms: float | None
    last_http_status: int | None
    last_error: str | None
    recent: str
    next_check_at: int | None
    lease_until: int | None
    created_at: int
    updated_at: int
    source: str
    container_id: str | None
    discovery_key: str | None
    active: bool
    suspended: bool
    locations: str
    location_rule: str

    @property
    def shown_status(self) -> str:
        """inactive once its container was removed; unknown while paused or while its
        container is not running; otherwise the status after the thresholds."""
        if not self.active:
            return "inactive"
        return "unknown" if self.paused or self.suspended else self.status

    @property
    def location_list(self) -> list[str]:
        found: list[str] = json.loads(self.locations or '["hub"]')
        return found

    @property
    def checked_by_hub(self) -> bool:
        return "hub" in self.location_list

    @property
    def schedulable(self) -> bool:
        """Checked at all: not paused, its container (if any) there and running."""
        return self.active and not self.paused and not self.suspended


@dataclass(frozen=True, slots=True)
class LocationRecord(_Record):
    endpoint_id: str
    location: str
    status: str
    consecutive_failures: int
    consecutive_successes: int
    last_check_at: int | None
    last_result: str | None
    last_response_ms: float | None
    last_http_status: int | None
    last_error: str | None


@dataclass(frozen=True, slots=True)
class ResultRecord(_Record):
    id: int
    endpoint_id: str
    at: int
    status: str
    response_ms: float | None
    http_status: int | None
    error: str | None
    location: str | None


@dataclass(frozen=True, slots=True)
class RollupRecord(_Record):
    endpoint_id: str
    hour: int
    checks: int
    up_checks: int
    timed_checks: int
    response_sum_ms: float
    response_max_ms: float | None
    response_min_ms: float | None


@dataclass(frozen=True, slots=True)
class AgentResult:
    """One endpoint result an agent reported (protocol: `endpointResults`)."""

    endpoint_id: str
    up: bool
    at_ms: int
    response_ms: float | None = None
    http_status: int | None = None
    error: str | None = None
