"""What a channel sends: one alert, a digest of several, or a test message."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from watchkeep.core.clock import rfc3339
from watchkeep.core.matchers import SEVERITY_RANK


@dataclass(frozen=True)
class AlertNotice:
    """One alert as the channels see it, frozen when the message was enqueued."""

    alert_id: str
    state: Literal["firing", "resolved"]
    source: str
    type: str
    severity: str
    message: str
    entity_type: str
    entity_id: str
    entity_name: str | None
    fired_at_ms: int
    resolved_at_ms: int | None = None
    labels: dict[str, str] = field(default_factory=dict)
    repeat: bool = False

    @property
    def subject(self) -> str:
        return self.entity_name or self.entity_id

    @property
    def headline(self) -> str:
        prefix = "RESOLVED" if self.state == "resolved" else self.severity.upper()
        return f"[{prefix}] {self.subject}: {self.message}"

    def to_json(self) -> dict[str, Any]:
        return {
            "alertId": self.alert_id,
            "state": self.state,
            "source": self.source,
            "type": self.type,
            "severity": self.severity,
            "message": self.message,
            "entityType": self.entity_type,
            "entityId": self.entity_id,
            "entityName": self.entity_name,
            "firedAt": rfc3339(self.fired_at_ms),
            "resolvedAt": rfc3339(self.resolved_at_ms),
            "labels": self.labels,
            "repeat": self.repeat,
        }

    def stored(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_stored(cls, data: dict[str, Any]) -> AlertNotice:
        return cls(**data)


@dataclass(frozen=True)
class Message:
    """A message for one channel. `delivery_id` is stable across retries, so receivers can
    drop a duplicate."""

    delivery_id: str
    kind: Literal["alert", "digest", "test"]
    alerts: tuple[AlertNotice, ...]
    hub_url: str

    @property
    def severity(self) -> str:
        firing = [a.severity for a in self.alerts if a.state == "firing"]
        if not firing:
            return "info" if self.kind == "test" or not self.alerts else "resolved"
        return max(firing, key=lambda s: SEVERITY_RANK.get(s, 0))

    @property
    def title(self) -> str:
        if self.kind == "test":
            return "watchkeep test message"
        if self.kind == "digest":
            firing = sum(1 for a in self.alerts if a.state == "firing")
            resolved = len(self.alerts) - firing
            return f"watchkeep digest: {firing} firing, {resolved} resolved"
        return self.alerts[0].headline

    @property
    def text(self) -> str:
        if self.kind == "test":
            return "This is a test message from watchkeep. The channel works."
        if self.kind == "digest":
            return "\n".join(f"- {a.headline}" for a in self.alerts)
        alert = self.alerts[0]
        lines = [alert.message, f"{alert.entity_type}: {alert.subject}", f"source: {alert.source} ({alert.type})"]
        return "\n".join(lines)

    @property
    def link(self) -> str:
        if self.kind == "alert":
            return f"{self.hub_url}/alerts/{self.alerts[0].alert_id}"
        return f"{self.hub_url}/alerts"

    def to_json(self) -> dict[str, Any]:
        return {
            "deliveryId": self.delivery_id,
            "kind": self.kind,
            "title": self.title,
            "text": self.text,
            "severity": self.severity,
            "link": self.link,
            "alerts": [a.to_json() for a in self.alerts],
        }
