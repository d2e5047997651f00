"""API models of heartbeat monitors, their pings, executions and daily uptime."""

from __future__ import annotations

import base64
import json
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field, model_validator
from sqlalchemy.engine import RowMapping

from watchkeep.core.clock import rfc3339
from watchkeep.core.errors import validation_error
from watchkeep.core.schemas import ApiModel, WriteModel
from watchkeep.heartbeats.schedule import MAX_SECONDS, MIN_SECONDS, check_cron, display_status, zone
from watchkeep.heartbeats.snippets import ping_url, snippets
from watchkeep.heartbeats.uptime import DayUptime

DEFAULT_PERIOD = 86_400
DEFAULT_GRACE = 3_600

Tag = Annotated[str, Field(min_length=1, max_length=50)]


class HeartbeatWrite(WriteModel):
    """The writable fields of a monitor (POST creates, PUT replaces them all)."""

    readonly_fields: ClassVar[frozenset[str]] = frozenset(
        {
            "id",
            "uuid",
            "status",
            "lastPingAt",
            "nextDeadlineAt",
            "lastDurationMs",
            "lastExitCode",
            "pingUrl",
            "snippets",
            "createdAt",
            "updatedAt",
        }
    )

    name: str = Field(min_length=1, max_length=200)
    kind: Literal["simple", "cron"] = "simple"
    period_seconds: int | None = Field(None, ge=MIN_SECONDS, le=MAX_SECONDS)
    grace_seconds: int = Field(DEFAULT_GRACE, ge=MIN_SECONDS, le=MAX_SECONDS)
    cron: str | None = Field(None, min_length=1, max_length=200)
    timezone: str = Field("UTC", min_length=1, max_length=64)
    methods: Literal["any", "POST"] = "any"
    manual_resume: bool = False
    tags: list[Tag] = Field(default_factory=list, max_length=20)
    description: str = Field("", max_length=2000)

    @model_validator(mode="after")
    def _schedule(self) -> HeartbeatWrite:
        zone(self.timezone)
        if self.kind == "simple":
            if self.cron is not None:
                raise validation_error('cron: only a monitor of kind "cron" has a cron expression', "cron")
            if self.period_seconds is None:
                self.period_seconds = DEFAULT_PERIOD
        else:
            if self.period_seconds is not None:
                raise validation_error(
                    'periodSeconds: a monitor of kind "cron" is scheduled by its cron expression', "periodSeconds"
                )
            if self.cron is None:
                raise validation_error('cron: required when kind is "cron"', "cron")
            check_cron(self.cron, self.timezone)
        return self

    def to_row(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "period_seconds": self.period_seconds,
            "grace_seconds": self.grace_seconds,
            "cron": self.cron,
            "timezone": self.timezone,
            "methods": self.methods,
            "manual_resume": self.manual_resume,
            "tags": json.dumps(self.tags),
            "description": self.description,
        }


class HeartbeatOut(ApiModel):
    id: str
    uuid: str
    name: str
    kind: str
    period_seconds: int | None
    grace_seconds: int
    cron: str | None
    timezone: str
    methods: str
    manual_resume: bool
    tags: list[str]
    description: str
    status: str
    last_ping_at: str | None
    next_deadline_at: str | None
    last_duration_ms: int | None
    last_exit_code: int | None
    ping_url: str
    snippets: dict[str, str]
    created_at: str | None
    updated_at: str | None

    @classmethod
    def of(cls, row: RowMapping, base_url: str, now_ms: int) -> HeartbeatOut:
        return cls(
            id=row["id"],
            uuid=row["uuid"],
            name=row["name"],
            kind=row["kind"],
            period_seconds=row["period_seconds"],
            grace_seconds=row["grace_seconds"],
            cron=row["cron"],
            timezone=row["timezone"],
            methods=row["methods"],
            manual_resume=bool(row["manual_resume"]),
            tags=json.loads(row["tags"]),
            description=row["description"],
            status=display_status(row, now_ms),
            last_ping_at=rfc3339(row["last_ping_at"]),
            next_deadline_at=rfc3339(row["next_deadline_at"]),
            last_duration_ms=row["last_duration_ms"],
            last_exit_code=row["last_exit_code"],
            ping_url=ping_url(base_url, row["uuid"]),
            snippets=snippets(row, base_url),
            created_at=rfc3339(row["created_at"]),
            updated_at=rfc3339(row["updated_at"]),
        )


class PingOut(ApiModel):
    id: int
    n: int
    at: str | None
    kind: str
    ignored: bool
    exit_code: int | None
    method: str
    source_ip: str
    user_agent: str
    body: str
    body_base64: str
    body_size: int
    body_truncated: bool
    rid: str | None

    @classmethod
    def of(cls, row: RowMapping) -> PingOut:
        body: bytes = row["body"]
        return cls(
            id=row["id"],
            n=row["n"],
            at=rfc3339(row["at"]),
            kind=row["kind"],
            ignored=bool(row["ignored"]),
            exit_code=row["exit_code"],
            method=row["method"],
            source_ip=row["source_ip"],
            user_agent=row["user_agent"],
            body=body.decode("utf-8", errors="replace"),
            body_base64=base64.b64encode(body).decode("ascii"),
            body_size=row["body_size"],
            body_truncated=row["body_size"] > len(body),
            rid=row["rid"],
        )


class ExecutionOut(ApiModel):
    id: int
    rid: str | None
    started_at: str | None
    finished_at: str | None
    duration_ms: int | None
    exit_code: int | None
    outcome: str

    @classmethod
    def of(cls, row: RowMapping) -> ExecutionOut:
        return cls(
            id=row["id"],
            rid=row["rid"],
            started_at=rfc3339(row["started_at"]),
            finished_at=rfc3339(row["finished_at"]),
            duration_ms=row["duration_ms"],
            exit_code=row["exit_code"],
            outcome=row["outcome"],
        )


class DayUptimeOut(ApiModel):
    date: str
    state: str
    uptime_percent: float | None
    down_seconds: float
    paused_seconds: float
    monitored_seconds: float

    @classmethod
    def of(cls, day: DayUptime) -> DayUptimeOut:
        return cls(
            date=day.date,
            state=day.state,
            uptime_percent=day.uptime_percent,
            down_seconds=day.down_seconds,
            paused_seconds=day.paused_seconds,
            monitored_seconds=day.monitored_seconds,
        )
