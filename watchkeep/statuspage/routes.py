"""`/api/v1/status/...`: the status page's groups, components, incidents and settings."""

from __future__ import annotations

from fastapi import Response

from watchkeep.core.auth.deps import CanRead, CanWrite
from watchkeep.core.http.routing import make_router
from watchkeep.core.hub import HubDep
from watchkeep.core.idempotency.service import idempotent
from watchkeep.statuspage.schemas import (
    ComponentOut,
    ComponentWrite,
    GroupOut,
    GroupWrite,
    IncidentCreate,
    IncidentEdit,
    IncidentOut,
    PageSettingsOut,
    PageSettingsWrite,
    UpdateWrite,
)
from watchkeep.statuspage.service import StatusPageService

router = make_router(prefix="/api/v1/status", tags=["status page"])


# Groups


@router.get("/groups", response_model=list[GroupOut])
async def list_groups(_: CanRead, hub: HubDep) -> list[GroupOut]:
    return [GroupOut.of(group) for group in await StatusPageService(hub).groups()]


@router.post("/groups", response_model=GroupOut, status_code=201)
@idempotent
async def create_group(body: GroupWrite, _: CanWrite, hub: HubDep) -> GroupOut:
    return GroupOut.of(await StatusPageService(hub).create_group(body))


@router.put("/groups/{group_id}", response_model=GroupOut)
async def replace_group(group_id: str, body: GroupWrite, _: CanWrite, hub: HubDep) -> GroupOut:
    return GroupOut.of(await StatusPageService(hub).replace_group(group_id, body))


@router.delete("/groups/{group_id}", status_code=204)
async def delete_group(group_id: str, _: CanWrite, hub: HubDep) -> Response:
    await StatusPageService(hub).delete_group(group_id)
    return Response(status_code=204)


# Components


@router.get("/components", response_model=list[ComponentOut])
async def list_components(_: CanRead, hub: HubDep) -> list[ComponentOut]:
    return [ComponentOut.of(component) for component in await StatusPageService(hub).components()]


@router.post("/components", response_model=ComponentOut, status_code=201)
@idempotent
async def create_component(body: ComponentWrite, _: CanWrite, hub: HubDep) -> ComponentOut:
    return ComponentOut.of(await StatusPageService(hub).create_component(body))


@router.get("/components/{component_id}", response_model=ComponentOut)
async def get_component(component_id: str, _: CanRead, hub: HubDep) -> ComponentOut:
    return ComponentOut.of(await StatusPageService(hub).component(component_id))


@router.put("/components/{component_id}", response_model=ComponentOut)
async def replace_component(component_id: str, body: ComponentWrite, _: CanWrite, hub: HubDep) -> ComponentOut:
    return ComponentOut.of(await StatusPageService(hub).replace_component(component_id, body))


@router.delete("/components/{component_id}", status_code=204)
async def delete_component(component_id: str, _: CanWrite, hub: HubDep) -> Response:
    await StatusPageService(hub).delete_component(component_id)
    return Response(status_code=204)


# Incidents


@router.get("/incidents", response_model=list[IncidentOut])
async def list_incidents(_: CanRead, hub: HubDep) -> list[IncidentOut]:
    return [IncidentOut.of(incident) for incident in await StatusPageService(hub).incidents()]


@router.post("/incidents", response_model=IncidentOut, status_code=201)
@idempotent
async def create_incident(body: IncidentCreate, _: CanWrite, hub: HubDep) -> IncidentOut:
    return IncidentOut.of(await StatusPageService(hub).create_incident(body))


@router.get("/incidents/{incident_id}", response_model=IncidentOut)
async def get_incident(incident_id: str, _: CanRead, hub: HubDep) -> IncidentOut:
    return IncidentOut.of(await StatusPageService(hub).incident(incident_id))


@router.put("/incidents/{incident_id}", response_model=IncidentOut)
async def edit_incident(incident_id: str, body: IncidentEdit, _: CanWrite, hub: HubDep) -> IncidentOut:
    return IncidentOut.of(await StatusPageService(hub).edit_incident(incident_id, body))


@router.post("/incidents/{incident_id}/updates", response_model=IncidentOut, status_code=201)
@idempotent
async def post_update(incident_id: str, body: UpdateWrite, _: CanWrite, hub: HubDep) -> IncidentOut:
    return IncidentOut.of(await StatusPageService(hub).post_update(incident_id, body))


@router.delete("/incidents/{incident_id}", status_code=204)
async def delete_incident(incident_id: str, _: CanWrite, hub: HubDep) -> Response:
    await StatusPageService(hub).delete_incident(incident_id)
    return Response(status_code=204)


# The page's settings


@router.get("/settings", response_model=PageSettingsOut)
async def get_settings(_: CanRead, hub: HubDep) -> PageSettingsOut:
    return PageSettingsOut.of(await StatusPageService(hub).settings())


@router.put("/settings", response_model=PageSettingsOut)
async def replace_settings(body: PageSettingsWrite, _: CanWrite, hub: HubDep) -> PageSettingsOut:
    return PageSettingsOut.of(await StatusPageService(hub).replace_settings(body))
