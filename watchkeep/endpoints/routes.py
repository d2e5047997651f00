"""`/api/v1/endpoints`: the monitors, their check results, daily uptime and response times."""

from __future__ import annotations

from typing import Literal

from fastapi import Query, Response

from watchkeep.core.auth.deps import CanRead, CanWrite
from watchkeep.core.http.routing import make_router
from watchkeep.core.hub import HubDep
from watchkeep.core.idempotency.service import idempotent
from watchkeep.endpoints.schemas import CheckOut, DayUptimeOut, EndpointOut, EndpointWrite, ResponseTimesOut
from watchkeep.endpoints.service import EndpointService

router = make_router(prefix="/api/v1/endpoints", tags=["endpoints"])


@router.get("", response_model=list[EndpointOut])
async def list_endpoints(_: CanRead, hub: HubDep) -> list[EndpointOut]:
    service = EndpointService(hub)
    return [service.out(row) for row in await service.list_all()]


@router.post("", response_model=EndpointOut, status_code=201)
@idempotent
async def create_endpoint(body: EndpointWrite, _: CanWrite, hub: HubDep) -> EndpointOut:
    service = EndpointService(hub)
    return service.out(await service.create(body))


@router.get("/{endpoint_id}", response_model=EndpointOut)
async def get_endpoint(endpoint_id: str, _: CanRead, hub: HubDep) -> EndpointOut:
    return await EndpointService(hub).details(endpoint_id)


@router.put("/{endpoint_id}", response_model=EndpointOut)
async def replace_endpoint(endpoint_id: str, body: EndpointWrite, _: CanWrite, hub: HubDep) -> EndpointOut:
    service = EndpointService(hub)
    return service.out(await service.replace(endpoint_id, body))


@router.delete("/{endpoint_id}", status_code=204)
async def delete_endpoint(endpoint_id: str, _: CanWrite, hub: HubDep) -> Response:
    await EndpointService(hub).delete(endpoint_id)
    return Response(status_code=204)


@router.post("/{endpoint_id}/pause", response_model=EndpointOut)
async def pause_endpoint(endpoint_id: str, _: CanWrite, hub: HubDep) -> EndpointOut:
    service = EndpointService(hub)
    return service.out(await service.pause(endpoint_id))


@router.post("/{endpoint_id}/resume", response_model=EndpointOut)
async def resume_endpoint(endpoint_id: str, _: CanWrite, hub: HubDep) -> EndpointOut:
    service = EndpointService(hub)
    return service.out(await service.resume(endpoint_id))


@router.get("/{endpoint_id}/checks", response_model=list[CheckOut])
async def list_checks(
    endpoint_id: str,
    _: CanRead,
    hub: HubDep,
    limit: int = Query(100, ge=1, le=1000),
    status: Literal["up", "down"] | None = Query(None),
) -> list[CheckOut]:
    return [CheckOut.of(row) for row in await EndpointService(hub).checks(endpoint_id, limit, status)]


@router.get("/{endpoint_id}/uptime/daily", response_model=list[DayUptimeOut])
async def daily_uptime(
    endpoint_id: str, _: CanRead, hub: HubDep, days: int = Query(30, ge=1, le=366)
) -> list[DayUptimeOut]:
    return [DayUptimeOut.of(day) for day in await EndpointService(hub).daily_uptime(endpoint_id, days)]


@router.get("/{endpoint_id}/response-times", response_model=ResponseTimesOut)
async def response_times(endpoint_id: str, _: CanRead, hub: HubDep, range: str = Query("24h")) -> ResponseTimesOut:
    return await EndpointService(hub).response_times(endpoint_id, range)
