"""An agent's status is a pure function of its last contact, its push interval and now."""

from __future__ import annotations

from typing import Literal

Status = Literal["online", "delayed", "offline"]


def status_at(
    last_seen_ms: int | None,
    interval_seconds: int,
    now_ms: int,
    *,
    delayed_after: float,
    offline_after: float,
) -> Status:
    if last_seen_ms is None:
        return "offline"
    silent_ms = now_ms - last_seen_ms
    interval_ms = interval_seconds * 1000
    if silent_ms > offline_after * interval_ms:
        return "offline"
    if silent_ms > delayed_after * interval_ms:
        return "delayed"
    return "online"
