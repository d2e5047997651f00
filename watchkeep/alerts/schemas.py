"""API models for alerts, silences and maintenance windows."""

from __future__ import annotations

import json
from typing import Any

from pydantic import AwareDatetime, Field
from sqlalchemy.engine import RowMapping

from watchkeep.core.clock import rfc3339
from watchkeep.core.matchers import Matchers
from watchkeep.core.schemas import ApiModel, WriteModel


def alert_status(row: RowMapping) -> str:
    if row["status"] == "resolved":
        return "resolved"
    if row["silenced"]:
        return "silenced"
    return "acknowledged" if row["acknowledged_at"] is not None else "active"


class AlertOut(ApiModel):
    id: str
    source: str
    type: str
    severity: str
    status: str
    message: str
    entity_type: str
    entity_id: str
    entity_name: str | None
    details: dict[str, Any]
    labels: dict[str, str]
    fired_at: str | None
    last_seen_at: str | None
    resolved_at: str | None
    resolution: str | None
    acknowledged_at: str | None
    acknowledged_by: str | None
    snoozed_until: str | None
    notified_at: str | None

    @classmethod
    def of(cls, row: RowMapping) -> AlertOut:
        return cls(
            id=row["id"],
            source=row["source"],
            type=row["type"],
            severity=row["severity"],
            status=alert_status(row),
            message=row["message"],
            entity_type=row["entity_type"],
            entity_id=row["entity_id"],
            entity_name=row["entity_name"],
            details=json.loads(row["details"]),
            labels=json.loads(row["labels"]),
            fired_at=rfc3339(row["fired_at"]),
            last_seen_at=rfc3339(row["last_seen_at"]),
            resolved_at=rfc3339(row["resolved_at"]),
            resolution=row["resolution"],
            acknowledged_at=rfc3339(row["acknowledged_at"]),
            acknowledged_by=row["acknowledged_by"],
            snoozed_until=rfc3339(row["snoozed_until"]),
            notified_at=rfc3339(row["notified_at"]),
        )


class AlertPage(ApiModel):
    items: list[AlertOut]
    next_cursor: str | None


class ActiveAlerts(ApiModel):
    total: int
    critical: list[AlertOut]
    warning: list[AlertOut]
    info: list[AlertOut]


class SnoozeIn(WriteModel):
    until: AwareDatetime | None = None
    duration_seconds: int | None = Field(None, ge=60, le=30 * 86400)


class SilenceIn(WriteModel):
    matchers: Matchers = Field(default_factory=Matchers)
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = None
    duration_seconds: int | None = Field(None, ge=60, le=365 * 86400)
    comment: str = Field(min_length=1, max_length=1000)


class SilenceOut(ApiModel):
    id: str
    matchers: dict[str, Any]
    starts_at: str | None
    ends_at: str | None
    created_by: str
    comment: str
    created_at: str | None
    active: bool

    @classmethod
    def of(cls, row: RowMapping, now_ms: int) -> SilenceOut:
        return cls(
            id=row["id"],
            matchers=json.loads(row["matchers"]),
            starts_at=rfc3339(row["starts_at"]),
            ends_at=rfc3339(row["ends_at"]),
            created_by=row["created_by"],
            comment=row["comment"],
            created_at=rfc3339(row["created_at"]),
            active=row["starts_at"] <= now_ms < row["ends_at"],
        )


class WindowIn(WriteModel):
    name: str = Field(min_length=1, max_length=100)
    matchers: Matchers = Field(default_factory=Matchers)
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = None
    cron: str | None = Field(None, min_length=1, max_length=100)
    duration_seconds: int | None = Field(None, ge=60, le=7 * 86400)
    timezone: str = Field("UTC", min_length=1, max_length=64)
    comment: str = Field("", max_length=1000)


class WindowOut(ApiModel):
    id: str
    name: str
    matchers: dict[str, Any]
    starts_at: str | None
    ends_at: str | None
    cron: str | None
    duration_seconds: int | None
    timezone: str
    created_by: str
    comment: str
    created_at: str | None
    active: bool

    @classmethod
    def of(cls, row: RowMapping, active: bool) -> WindowOut:
        return cls(
            id=row["id"],
            name=row["name"],
            matchers=json.loads(row["matchers"]),
            starts_at=rfc3339(row["starts_at"]),
            ends_at=rfc3339(row["ends_at"]),
            cron=row["cron"],
            duration_seconds=row["duration_seconds"],
            timezone=row["timezone"],
            created_by=row["created_by"],
            comment=row["comment"],
            created_at=rfc3339(row["created_at"]),
            active=active,
        )
