"""Restart loops: N restarts of a container within a sliding window (default 3 in 10 minutes;
the label `watchkeep.alert.restart_threshold` sets N per container). Restarts are counted from
the `restarts` of its transitions: the growth of the engine's restart count, whether the local
runtime's events or an agent's report brought it.

A loop begins (`container.restart_alert`, firing) when a restart brings the window to N; it
is kept as a row whose deadline is when the window may drop below N. The deadline loop
(`check_due`) claims each due row with a conditional update, so replicas share the work; the
loop ends (`container.restart_alert`, not firing) when the window holds fewer than N, or when
the container is removed."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from watchkeep.containers import repository as repo
from watchkeep.core.events import ContainerRestartAlert, Event

THRESHOLD_LABEL = "watchkeep.alert.restart_threshold"


@dataclass(frozen=True)
class RestartRule:
    threshold: int = 3
    window_ms: int = 600_000


def threshold_of(labels: str | None, default: int) -> int:
    """The container's own threshold from its label (a whole number from 1), else `default`."""
    try:
        value = int(json.loads(labels).get(THRESHOLD_LABEL, "")) if labels else 0
    except (ValueError, TypeError, AttributeError):
        return default
    return value if value >= 1 else default


def _due(restarts: list[int], threshold: int, window_ms: int) -> int:
    """When the window stops holding `threshold` of these restarts (oldest first)."""
    return restarts[-threshold] + window_ms


def _alert(row: Mapping[str, Any] | RowMapping, *, firing: bool, restarts: int, at_ms: int) -> ContainerRestartAlert:
    return ContainerRestartAlert(
        container_id=str(row["public_id"]),
        agent_id=str(row["agent_id"]),
        name=str(row["name"]),
        firing=firing,
        restarts=restarts,
        threshold=int(row["threshold"]),
        window_seconds=int(row["window_ms"]) // 1000,
        at_ms=at_ms,
    )


async def after_restart(
    conn: AsyncConnection, public_id: str, agent_id: str, name: str, at_ms: int, rule: RestartRule
) -> list[Event]:
    """Count the window after a restart was recorded: begin the loop, or move its deadline."""
    threshold = threshold_of(await repo.labels_of(conn, public_id), rule.threshold)
    loop = await repo.loop_of(conn, public_id)
    window_ms = rule.window_ms if loop is None else int(loop["window_ms"])
    if loop is not None:
        threshold = int(loop["threshold"])
    restarts = await repo.restarts_since(conn, public_id, at_ms - window_ms, at_ms)
    if len(restarts) < threshold:
        return []
    due = _due(restarts, threshold, window_ms)
    if loop is not None:
        await repo.move_loop(conn, public_id, None, max(due, int(loop["due_at"])), len(restarts))
        return []
    row = {
        "public_id": public_id,
        "agent_id": agent_id,
        "name": name,
        "threshold": threshold,
        "window_ms": window_ms,
        "restarts": len(restarts),
        "started_at": at_ms,
        "due_at": due,
    }
    await repo.insert_loop(conn, row)
    return [_alert(row, firing=True, restarts=len(restarts), at_ms=at_ms)]


async def end_on_removal(conn: AsyncConnection, public_id: str, at_ms: int) -> list[Event]:
    loop = await repo.loop_of(conn, public_id)
    if loop is None or not await repo.end_loop(conn, public_id):
        return []
    return [_alert(loop, firing=False, restarts=int(loop["restarts"]), at_ms=at_ms)]


async def check_due(conn: AsyncConnection, now_ms: int, limit: int = 100) -> list[Event]:
    """End the loops whose window no longer holds their threshold; move the others' deadline."""
    events: list[Event] = []
    for loop in await repo.due_loops(conn, now_ms, limit):
        public_id, threshold, window_ms = loop["public_id"], int(loop["threshold"]), int(loop["window_ms"])
        restarts = await repo.restarts_since(conn, public_id, now_ms - window_ms, now_ms)
        if len(restarts) >= threshold:
            await repo.move_loop(conn, public_id, loop["due_at"], _due(restarts, threshold, window_ms), len(restarts))
        elif await repo.end_loop(conn, public_id, loop["due_at"]):
            events.append(_alert(loop, firing=False, restarts=len(restarts), at_ms=now_ms))
    return events
