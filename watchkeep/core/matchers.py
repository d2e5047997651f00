"""What alerts (silences, maintenance windows) and notifications (routing rules) both speak
of: the severity scale, and matchers, which say which alerts a rule applies to. Every given
field must equal the alert's; `labels` must all be present with those values. No field at
all matches every alert."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import ConfigDict, Field

from watchkeep.core.schemas import ApiModel

Severity = Literal["info", "warning", "critical"]
# The scale, lowest first: an alert's severity only ever rises while it fires.
SEVERITY_RANK: dict[str, int] = {"info": 0, "warning": 1, "critical": 2}


class Matchers(ApiModel):
    model_config = ConfigDict(extra="forbid")
    source: str | None = Field(None, min_length=1, max_length=32)
    severity: Severity | None = None
    entity_type: str | None = Field(None, min_length=1, max_length=32)
    entity_id: str | None = Field(None, min_length=1, max_length=128)
    labels: dict[str, str] = Field(default_factory=dict)

    def stored(self) -> dict[str, Any]:
        return self.model_dump(by_alias=True, exclude_none=True)


def matches(matchers: dict[str, Any], alert: dict[str, Any]) -> bool:
    """`matchers` as stored (camelCase); `alert` with source, severity, entity_type,
    entity_id and labels."""
    for key, column in (("source", "source"), ("severity", "severity"), ("entityType", "entity_type")):
        if matchers.get(key) is not None and matchers[key] != alert[column]:
            return False
    if matchers.get("entityId") is not None and matchers["entityId"] != alert["entity_id"]:
        return False
    labels: dict[str, str] = alert.get("labels") or {}
    return all(labels.get(k) == v for k, v in (matchers.get("labels") or {}).items())
