"""Endpoints checked by agents: what an agent's config lists (`endpointChecks`) and the
results its payloads bring back (`endpointResults`), recorded inside the ingest unit through
the same path as the hub's own checks (service._apply: thresholds, rule over locations,
events, rollups)."""

from __future__ import annotations

from typing import Any

import msgspec
from sqlalchemy.ext.asyncio import AsyncConnection

from watchkeep.core.crypto import SecretBox
from watchkeep.core.events import Event
from watchkeep.endpoints import repository as repo
from watchkeep.endpoints import sealing
from watchkeep.endpoints.records import AgentResult, EndpointRecord
from watchkeep.endpoints.schemas import AGENT_TYPES
from watchkeep.endpoints.service import _apply
from watchkeep.probes import Outcome
from watchkeep.protocol.ingest import MAX_ENDPOINT_CHECKS, EndpointCheck, EndpointHttp, EndpointTls


def _wire(row: EndpointRecord, box: SecretBox) -> EndpointCheck:
    settings = sealing.opened(row.config, box)
    check = EndpointCheck(
        id=row.id,
        type=row.type,  # type: ignore[arg-type]
        target=row.target,
        interval_seconds=row.interval_seconds,
        timeout_seconds=row.timeout_seconds,
    )
    if row.type == "http":
        check.http = EndpointHttp(**_known(settings, EndpointHttp))
    elif row.type == "tls":
        check.tls = EndpointTls(**_known(settings, EndpointTls))
    return check


def _known(settings: dict[str, Any], wire: type[msgspec.Struct]) -> dict[str, Any]:
    """The stored (snake_case) settings the wire struct has a field for."""
    return {name: settings[name] for name in wire.__struct_fields__ if name in settings}


async def checks_for(conn: AsyncConnection, agent_id: str, box: SecretBox) -> list[EndpointCheck]:
    """The endpoints `agent_id` checks now, header secrets opened (the agent sends them)."""
    rows = await repo.checked_by(conn, agent_id, MAX_ENDPOINT_CHECKS)
    return [_wire(row, box) for row in rows if row.type in AGENT_TYPES]


async def record(conn: AsyncConnection, agent_id: str, results: list[AgentResult]) -> list[Event]:
    """Apply the agent's results, oldest first. A result for an endpoint that is gone, paused,
    suspended, no longer assigned to the agent, or older than the endpoint's newest result is
    dropped: the config it was checked under has changed meanwhile."""
    events: list[Event] = []
    # Locked in id order first: two agents reporting on the same endpoints never deadlock.
    for endpoint_id in sorted({r.endpoint_id for r in results}):
        await repo.endpoint_by_id(conn, endpoint_id, lock=True)
    for result in sorted(results, key=lambda r: r.at_ms):
        current = await repo.endpoint_by_id(conn, result.endpoint_id, lock=True)
        if current is None or not current.schedulable or agent_id not in current.location_list:
            continue
        single = len(current.location_list) == 1
        if single and current.last_check_at is not None and result.at_ms <= current.last_check_at:
            continue
        outcome = Outcome(result.up, result.response_ms, result.http_status, result.error)
        events.extend(await _apply(conn, current, outcome, result.at_ms, agent_id))
    return events
