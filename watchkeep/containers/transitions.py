"""A container's transition: from what was stored to what is reported, with how an exit
happened (exits.py) and how many restarts it brought (restarts.py), and its events."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy.engine import RowMapping

from watchkeep.containers.exits import EXITED_STATES, exit_code_from_status, outcome
from watchkeep.containers.model import REMOVED, ContainerInfo
from watchkeep.core.events import ContainerHealthChanged, ContainerStateChanged, Event


def transition_between(
    now: dict[str, Any], before: RowMapping | None, at_ms: int, info: ContainerInfo | None = None
) -> tuple[dict[str, Any], list[Event]] | None:
    """The transition from what was stored to what is reported, and its events; None when
    neither the state nor the health changed nor the restart count grew (a field not reported
    keeps its value). An entry into an exited state carries how it exited (containers/exits.py)."""
    was_state = None if before is None else (REMOVED if before["archived_at"] is not None else before["state"])
    was_health = None if before is None else before["health"]
    state = now["state"] if now["state"] is not None else was_state
    health = now["health"] if now["health"] is not None else was_health
    was_count = None if before is None else before["restart_count"]
    count = now.get("restart_count")
    restarts = count - was_count if count is not None and was_count is not None and count > was_count else 0
    if before is None and state is None:
        return None  # nothing known of it yet: its first state makes its first transition
    if before is not None and state == was_state and health == was_health and not restarts:
        return None
    exit_code = oom_killed = result = log_tail = None
    # A container's first report says nothing about how it got there: only a change is an exit.
    if before is not None and state in EXITED_STATES and state != was_state:
        exit_code = info.exit_code if info is not None else None
        if exit_code is None:
            exit_code = exit_code_from_status(now.get("status"))
        oom_killed = info.oom_killed if info is not None else None
        requested = info.requested_stop if info is not None else None
        result = outcome(exit_code, oom_killed=oom_killed, requested_stop=requested)
        if info is not None and info.log_tail is not None:
            log_tail = json.dumps(info.log_tail)
    common = {"container_id": now["public_id"], "agent_id": now["agent_id"], "name": now["name"], "at_ms": at_ms}
    found: list[Event] = []
    if before is None or state != was_state:
        found.append(
            ContainerStateChanged(
                previous=was_state,
                state=state,
                exit_code=exit_code,
                oom_killed=oom_killed,
                outcome=result,
                container_id=now["public_id"],
                agent_id=now["agent_id"],
                name=now["name"],
                at_ms=at_ms,
            )
        )
    if before is not None and health != was_health:
        found.append(ContainerHealthChanged(previous=was_health, health=health, **common))
    row = {
        "public_id": now["public_id"],
        "at": at_ms,
        "from_state": was_state,
        "to_state": state,
        "from_health": was_health,
        "to_health": health,
        "exit_code": exit_code,
        "oom_killed": oom_killed,
        "outcome": result,
        "log_tail": log_tail,
        "restarts": restarts or None,
    }
    return row, found
