"""The API's shapes of a container, a transition and a restart loop, built from stored rows."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy.engine import RowMapping

from watchkeep.core.clock import rfc3339


def container_out(row: RowMapping, local_agent_id: str | None = None) -> dict[str, Any]:
    """The API's container; `source` is local for the containers of this hub's own engine."""
    return {
        "id": row["public_id"],
        "containerId": row["container_id"],
        "name": row["name"],
        "agentId": row["agent_id"],
        "source": "local" if local_agent_id is not None and row["agent_id"] == local_agent_id else "agent",
        "image": row["image"],
        "imageId": row["image_id"],
        "state": row["state"],
        "status": row["status"],
        "health": row["health"],
        "restartCount": row["restart_count"],
        "labels": json.loads(row["labels"]) if row["labels"] else {},
        "ports": json.loads(row["ports"]) if row["ports"] else [],
        "mounts": json.loads(row["mounts"]) if row["mounts"] else [],
        "networkMode": row["network_mode"],
        "created": row["created"],
        "firstSeenAt": row["first_seen_at"],
        "lastSeenAt": row["last_seen_at"],
        "archived": row["archived_at"] is not None,
        "archivedAt": rfc3339(row["archived_at"]),
    }


def transition_out(row: RowMapping) -> dict[str, Any]:
    return {
        "at": rfc3339(row["at"]),
        "previousState": row["from_state"],
        "state": row["to_state"],
        "previousHealth": row["from_health"],
        "health": row["to_health"],
        "exitCode": row["exit_code"],
        "oomKilled": row["oom_killed"],
        "outcome": row["outcome"],
        "restarts": row["restarts"] or 0,
        "logTail": json.loads(row["log_tail"]) if row["log_tail"] else None,
    }


def restart_loop_out(row: RowMapping | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return {
        "since": rfc3339(row["started_at"]),
        "restarts": row["restarts"],
        "threshold": row["threshold"],
        "windowSeconds": row["window_ms"] // 1000,
    }
