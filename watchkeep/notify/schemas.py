"""API models for channels, routing rules and the delivery log."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from pydantic import Field
from sqlalchemy.engine import RowMapping

from watchkeep.core.clock import rfc3339
from watchkeep.core.masking import MASK
from watchkeep.core.matchers import Matchers
from watchkeep.core.schemas import ApiModel, WriteModel
from watchkeep.notify.channels import CHANNEL_TYPES
from watchkeep.notify.masking import shown_config

__all__ = ["MASK", "ChannelIn", "ChannelOut", "DeliveryOut", "RuleIn", "RuleOut", "TestOut"]


class ChannelIn(WriteModel):
    name: str = Field(min_length=1, max_length=100)
    # Checked by the service, whose error lists the types; the document lists them too.
    type: str = Field(min_length=1, max_length=16, json_schema_extra={"enum": list(CHANNEL_TYPES)})
    config: dict[str, Any] = Field(default_factory=dict)
    enabled: bool = True


class RuleIn(WriteModel):
    matchers: Matchers = Field(default_factory=Matchers)
    repeat_interval_seconds: int | None = Field(None, ge=60, le=7 * 86400)
    send_resolved: bool = True


class RuleOut(ApiModel):
    id: str
    channel_id: str
    matchers: dict[str, Any]
    repeat_interval_seconds: int | None
    send_resolved: bool
    created_at: str | None

    @classmethod
    def of(cls, row: RowMapping) -> RuleOut:
        return cls(
            id=row["id"],
            channel_id=row["channel_id"],
            matchers=json.loads(row["matchers"]),
            repeat_interval_seconds=row["repeat_interval_seconds"],
            send_resolved=bool(row["send_resolved"]),
            created_at=rfc3339(row["created_at"]),
        )


class ChannelOut(ApiModel):
    id: str
    name: str
    type: str
    config: dict[str, Any]
    enabled: bool
    disabled_reason: str | None
    rules: list[RuleOut]
    created_at: str | None
    updated_at: str | None

    @classmethod
    def of(cls, row: Mapping[str, Any], rules: list[RowMapping]) -> ChannelOut:
        """`row` as the channel service returns it (its config decrypted); secrets are masked here."""
        return cls(
            id=row["id"],
            name=row["name"],
            type=row["type"],
            config=shown_config(row["type"], json.loads(row["config"])),
            enabled=bool(row["enabled"]),
            disabled_reason=row["disabled_reason"],
            rules=[RuleOut.of(r) for r in rules],
            created_at=rfc3339(row["created_at"]),
            updated_at=rfc3339(row["updated_at"]),
        )


class DeliveryOut(ApiModel):
    id: str
    event_type: str
    status: str
    attempts: int
    last_error: str | None
    latency_ms: int | None
    alert_id: str | None
    digest_id: str | None
    created_at: str | None
    next_attempt_at: str | None
    delivered_at: str | None

    @classmethod
    def of(cls, row: RowMapping) -> DeliveryOut:
        return cls(
            id=row["id"],
            event_type=row["event_type"],
            status=row["status"],
            attempts=row["attempts"],
            last_error=row["last_error"],
            latency_ms=row["latency_ms"],
            alert_id=row["alert_id"],
            digest_id=row["digest_id"],
            created_at=rfc3339(row["created_at"]),
            next_attempt_at=rfc3339(row["next_attempt_at"]) if row["status"] == "pending" else None,
            delivered_at=rfc3339(row["delivered_at"]),
        )


class TestOut(ApiModel):
    ok: bool
    delivery_id: str
    error: str | None = None
    status_code: int | None = None
    latency_ms: int | None = None
