"""`/api/v1/heartbeats`: the monitors, their pings, executions and daily uptime."""

from __future__ import annotations

from fastapi import Query, Response
from sqlalchemy.engine import RowMapping

from watchkeep.core.auth.deps import CanRead, CanWrite
from watchkeep.core.http.routing import make_router
from watchkeep.core.hub import HubDep
from watchkeep.core.idempotency.service import idempotent
from watchkeep.heartbeats.schemas import DayUptimeOut, ExecutionOut, HeartbeatOut, HeartbeatWrite, PingOut
from watchkeep.heartbeats.service import HeartbeatService

router = make_router(prefix="/api/v1/heartbeats", tags=["heartbeats"])


def _out(hub: HubDep, row: RowMapping) -> HeartbeatOut:
    return HeartbeatOut.of(row, hub.settings.base_url, hub.clock.now_ms())


@router.get("", response_model=list[HeartbeatOut])
async def list_heartbeats(_: CanRead, hub: HubDep) -> list[HeartbeatOut]:
    return [_out(hub, row) for row in await HeartbeatService(hub).list_all()]


@router.post("", response_model=HeartbeatOut, status_code=201)
@idempotent
async def create_heartbeat(body: HeartbeatWrite, _: CanWrite, hub: HubDep) -> HeartbeatOut:
    return _out(hub, await HeartbeatService(hub).create(body.to_row()))


@router.get("/{heartbeat_id}", response_model=HeartbeatOut)
async def get_heartbeat(heartbeat_id: str, _: CanRead, hub: HubDep) -> HeartbeatOut:
    return _out(hub, await HeartbeatService(hub).get(heartbeat_id))


@router.put("/{heartbeat_id}", response_model=HeartbeatOut)
async def replace_heartbeat(heartbeat_id: str, body: HeartbeatWrite, _: CanWrite, hub: HubDep) -> HeartbeatOut:
    return _out(hub, await HeartbeatService(hub).replace(heartbeat_id, body.to_row()))


@router.delete("/{heartbeat_id}", status_code=204)
async def delete_heartbeat(heartbeat_id: str, _: CanWrite, hub: HubDep) -> Response:
    await HeartbeatService(hub).delete(heartbeat_id)
    return Response(status_code=204)


@router.post("/{heartbeat_id}/pause", response_model=HeartbeatOut)
async def pause_heartbeat(heartbeat_id: str, _: CanWrite, hub: HubDep) -> HeartbeatOut:
    return _out(hub, await HeartbeatService(hub).pause(heartbeat_id))


@router.post("/{heartbeat_id}/resume", response_model=HeartbeatOut)
async def resume_heartbeat(heartbeat_id: str, _: CanWrite, hub: HubDep) -> HeartbeatOut:
    return _out(hub, await HeartbeatService(hub).resume(heartbeat_id))


@router.get("/{heartbeat_id}/executions", response_model=list[ExecutionOut])
async def list_executions(
    heartbeat_id: str, _: CanRead, hub: HubDep, limit: int = Query(100, ge=1, le=1000)
) -> list[ExecutionOut]:
    return [ExecutionOut.of(row) for row in await HeartbeatService(hub).executions(heartbeat_id, limit)]


@router.get("/{heartbeat_id}/pings", response_model=list[PingOut])
async def list_pings(
    heartbeat_id: str, _: CanRead, hub: HubDep, limit: int = Query(100, ge=1, le=1000)
) -> list[PingOut]:
    return [PingOut.of(row) for row in await HeartbeatService(hub).pings(heartbeat_id, limit)]


@router.get("/{heartbeat_id}/uptime/daily", response_model=list[DayUptimeOut])
async def daily_uptime(
    heartbeat_id: str, _: CanRead, hub: HubDep, days: int = Query(30, ge=1, le=366)
) -> list[DayUptimeOut]:
    return [DayUptimeOut.of(day) for day in await HeartbeatService(hub).daily_uptime(heartbeat_id, days)]
