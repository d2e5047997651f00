"""Time-weighted uptime of a container from its transitions."""

from __future__ import annotations

from sqlalchemy.engine import RowMapping

from watchkeep.containers.model import REMOVED


def is_up(state: str | None, health: str | None) -> bool:
    """Up: running, and not reported unhealthy."""
    return state == "running" and health != "unhealthy"


def uptime_percent(
    start_state: RowMapping | None, transitions: list[RowMapping], since_ms: int, now_ms: int
) -> float | None:
    """Time-weighted uptime over [since_ms, now_ms] from the transition in force at `since_ms`
    and the ones after it (oldest first). Time before a container was first seen, and after
    it was removed, counts neither way; None when no time counts."""
    state = None if start_state is None else start_state["to_state"]
    health = None if start_state is None else start_state["to_health"]
    at = since_ms
    up = watched = 0
    for transition in [*transitions, None]:
        until = now_ms if transition is None else max(at, min(transition["at"], now_ms))
        if state is not None and state != REMOVED:
            watched += until - at
            if is_up(state, health):
                up += until - at
        if transition is not None:
            at, state, health = until, transition["to_state"], transition["to_health"]
    return None if watched == 0 else round(100.0 * up / watched, 3)


UPTIME_WINDOWS = {"24h": 86_400_000, "7d": 7 * 86_400_000, "30d": 30 * 86_400_000}
