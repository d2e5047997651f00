"""What the status page knows of the monitors: every kind's current state, read through that
kind's own service and mapped onto one scale (up, degraded, down, unknown, paused), with the
labels a component's match looks at. Names here are for the admin pages only: the public
routes never show them."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from watchkeep.agents.service import AgentService
from watchkeep.certificates.service import CertificateService
from watchkeep.containers.service import ContainerService
from watchkeep.core.hub import Hub
from watchkeep.core.matchers import matches
from watchkeep.endpoints.service import EndpointService
from watchkeep.heartbeats.schedule import display_status
from watchkeep.heartbeats.service import HeartbeatService

KINDS = ("agent", "heartbeat", "container", "endpoint", "certificate")
KIND_LABELS = {
    "agent": "Hosts (agents)",
    "heartbeat": "Heartbeats",
    "container": "Containers",
    "endpoint": "Endpoints",
    "certificate": "Certificates",
}

AGENT_STATE = {"online": "up", "delayed": "degraded", "offline": "down"}
HEARTBEAT_STATE = {"up": "up", "started": "up", "grace": "degraded", "down": "down", "new": "unknown"}
ENDPOINT_STATE = {"up": "up", "down": "down"}
CERTIFICATE_STATE = {"valid": "up", "expiring": "degraded", "expired": "down", "error": "down"}
CONTAINER_DOWN = ("exited", "dead", "removing", "removed")


@dataclass(frozen=True)
class MonitorState:
    kind: str
    id: str
    name: str
    state: str
    labels: dict[str, str] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, str]:
        return (self.kind, self.id)

    def alert_facts(self) -> dict[str, Any]:
        """The monitor as the alerts' matchers see an alert about it (maintenance windows)."""
        return {
            "source": self.kind,
            "severity": "critical",
            "entity_type": self.kind,
            "entity_id": self.id,
            "labels": self.labels,
        }


def container_state(state: str | None, health: str | None) -> str:
    if state == "running":
        return "degraded" if health == "unhealthy" else "up"
    if state == "restarting":
        return "degraded"
    if state == "paused":
        return "paused"
    if state in CONTAINER_DOWN:
        return "down"
    return "unknown"


def tag_labels(tags: Iterable[str]) -> dict[str, str]:
    """A heartbeat's tags as labels: `key=value` (or `key:value`) gives that pair, a bare tag
    the key with an empty value."""
    labels = {}
    for tag in tags:
        for separator in ("=", ":"):
            if separator in tag:
                key, value = tag.split(separator, 1)
                labels[key] = value
                break
        else:
            labels[tag] = ""
    return labels


def _labels(raw: Any) -> dict[str, str]:
    if not raw:
        return {}
    loaded = json.loads(raw) if isinstance(raw, str) else raw
    return {str(k): str(v) for k, v in loaded.items()} if isinstance(loaded, dict) else {}


async def monitor_states(hub: Hub, kinds: Iterable[str] = KINDS) -> list[MonitorState]:
    """The current state of every monitor of `kinds`."""
    wanted = set(kinds)
    now = hub.clock.now_ms()
    found: list[MonitorState] = []
    if "agent" in wanted:
        agents = AgentService(hub)
        rows, _ = await agents.list_agents(status=None, platform=None, limit=0, offset=0)
        found += [
            MonitorState(
                "agent", row["id"], row["name"], AGENT_STATE.get(row["status"], "unknown"), _labels(row["labels"])
            )
            for row in rows
        ]
    if "heartbeat" in wanted:
        for row in await HeartbeatService(hub).list_all():
            shown = display_status(row, now)
            state = "paused" if shown == "paused" else HEARTBEAT_STATE.get(shown, "unknown")
            found.append(MonitorState("heartbeat", row["id"], row["name"], state, tag_labels(json.loads(row["tags"]))))
    if "container" in wanted:
        for row in await ContainerService(hub).list_containers():
            if row["public_id"] is None:
                continue
            state = container_state(row["state"], row["health"])
            found.append(MonitorState("container", row["public_id"], row["name"], state, _labels(row["labels"])))
    if "endpoint" in wanted:
        for record in await EndpointService(hub).list_all():
            if not record.active:
                continue
            state = "paused" if record.paused else ENDPOINT_STATE.get(record.shown_status, "unknown")
            found.append(MonitorState("endpoint", record.id, record.name, state))
    if "certificate" in wanted:
        certificates = CertificateService(hub)
        for monitor in await certificates.list_all():
            state = CERTIFICATE_STATE.get(certificates.status_of(monitor), "unknown")
            found.append(MonitorState("certificate", monitor.id, monitor.name, state))
    return found


def linked(
    monitors: list[dict[str, str]], rules: list[dict[str, Any]], states: Iterable[MonitorState]
) -> list[MonitorState]:
    """The monitors a component links: those named one by one, and every monitor of a rule's
    type whose labels include the rule's."""
    named = {(link["type"], link["id"]) for link in monitors}
    found = []
    for state in states:
        if state.key in named or any(
            rule["type"] == state.kind and all(state.labels.get(k) == v for k, v in (rule.get("labels") or {}).items())
            for rule in rules
        ):
            found.append(state)
    return found


def kinds_of(monitors: list[dict[str, str]], rules: list[dict[str, Any]]) -> set[str]:
    return {link["type"] for link in monitors} | {rule["type"] for rule in rules}


def in_maintenance(state: MonitorState, open_windows: Iterable[dict[str, Any]]) -> bool:
    """Whether an open window's matchers (stored camelCase) cover the monitor."""
    return any(matches(window, state.alert_facts()) for window in open_windows)
