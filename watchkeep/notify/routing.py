"""Which channels get an alert's message. A channel with no rules receives everything; a
channel with rules receives what its first matching rule matches, with that rule's repeat
interval and send-on-resolve choice."""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy.engine import RowMapping

from watchkeep.core.matchers import matches
from watchkeep.notify.message import AlertNotice


@dataclass(frozen=True)
class Route:
    channel_id: str
    repeat_interval_seconds: int | None
    send_resolved: bool


def routes_for(notice: AlertNotice, channels: list[RowMapping], rules: list[RowMapping]) -> list[Route]:
    facts = {
        "source": notice.source,
        "severity": notice.severity,
        "entity_type": notice.entity_type,
        "entity_id": notice.entity_id,
        "labels": notice.labels,
    }
    by_channel: dict[str, list[RowMapping]] = {}
    for rule in rules:
        by_channel.setdefault(rule["channel_id"], []).append(rule)
    found: list[Route] = []
    for channel in channels:
        channel_rules = by_channel.get(channel["id"], [])
        if not channel_rules:
            found.append(Route(channel["id"], None, True))
            continue
        for rule in channel_rules:
            if matches(json.loads(rule["matchers"]), facts):
                found.append(Route(channel["id"], rule["repeat_interval_seconds"], bool(rule["send_resolved"])))
                break
    return found
