"""The typed records the repository returns."""

from __future__ import annotations

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

    @property
    def shown_status(self) -> str:
        """unknown while paused; otherwise the status after the thresholds."""
        return "unknown" if self.paused else self.status


@dataclass(frozen=True, slots=True)
class ResultRecord(_Record):
    id: int
    endpoint_id: str
    at: int
    status: str
    response_ms: float | None
    http_status: int | None
    error: str | None


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
