"""/api/v1/alerts, /api/v1/silence and /api/v1/maintenance-windows."""

from __future__ import annotations

from datetime import timedelta

from fastapi import Query, Response
from pydantic import AwareDatetime

from watchkeep.alerts.maintenance import window_active
from watchkeep.alerts.schemas import (
    ActiveAlerts,
    AlertOut,
    AlertPage,
    SilenceIn,
    SilenceOut,
    SnoozeIn,
    WindowIn,
    WindowOut,
)
from watchkeep.alerts.service import AlertService
from watchkeep.alerts.silences import MaintenanceService, SilenceService
from watchkeep.core.auth.deps import CanRead, CanWrite
from watchkeep.core.clock import to_ms
from watchkeep.core.errors import validation_error
from watchkeep.core.http.routing import make_router
from watchkeep.core.hub import HubDep

router = make_router(prefix="/api/v1", tags=["alerts"])


@router.get("/alerts", response_model=AlertPage)
async def list_alerts(
    _: CanRead,
    hub: HubDep,
    source: str | None = None,
    severity: str | None = None,
    status: str | None = None,
    entity_type: str | None = Query(None, alias="entityType"),
    entity_id: str | None = Query(None, alias="entityId"),
    since: AwareDatetime | None = None,
    until: AwareDatetime | None = None,
    cursor: str | None = None,
    limit: int = Query(50, ge=1, le=500),
) -> AlertPage:
    rows, next_cursor = await AlertService(hub).search(
        filters={"source": source, "severity": severity, "entity_type": entity_type, "entity_id": entity_id},
        status=status,
        since_ms=to_ms(since) if since else None,
        until_ms=to_ms(until) if until else None,
        cursor=cursor,
        limit=limit,
    )
    return AlertPage(items=[AlertOut.of(r) for r in rows], next_cursor=next_cursor)


@router.get("/alerts/active", response_model=ActiveAlerts)
async def active_alerts(_: CanRead, hub: HubDep) -> ActiveAlerts:
    rows = [AlertOut.of(r) for r in await AlertService(hub).active()]
    return ActiveAlerts(
        total=len(rows),
        critical=[a for a in rows if a.severity == "critical"],
        warning=[a for a in rows if a.severity == "warning"],
        info=[a for a in rows if a.severity == "info"],
    )


@router.get("/alerts/{alert_id}", response_model=AlertOut)
async def get_alert(alert_id: str, _: CanRead, hub: HubDep) -> AlertOut:
    return AlertOut.of(await AlertService(hub).get(alert_id))


@router.post("/alerts/{alert_id}/acknowledge", response_model=AlertOut)
async def acknowledge_alert(alert_id: str, principal: CanWrite, hub: HubDep) -> AlertOut:
    return AlertOut.of(await AlertService(hub).acknowledge(alert_id, principal.username))


@router.post("/alerts/{alert_id}/snooze", response_model=AlertOut)
async def snooze_alert(alert_id: str, body: SnoozeIn, _: CanWrite, hub: HubDep) -> AlertOut:
    if (body.until is None) == (body.duration_seconds is None):
        raise validation_error("give exactly one of until and durationSeconds", "until")
    until = body.until or hub.clock.now() + timedelta(seconds=body.duration_seconds or 0)
    return AlertOut.of(await AlertService(hub).snooze(alert_id, to_ms(until)))


@router.get("/silence", response_model=list[SilenceOut])
async def list_silences(_: CanRead, hub: HubDep) -> list[SilenceOut]:
    now = hub.clock.now_ms()
    return [SilenceOut.of(r, now) for r in await SilenceService(hub).current()]


@router.post("/silence", response_model=SilenceOut, status_code=201)
async def create_silence(body: SilenceIn, principal: CanWrite, hub: HubDep) -> SilenceOut:
    row = await SilenceService(hub).create(body, principal.username)
    return SilenceOut.of(row, hub.clock.now_ms())


@router.delete("/silence/{silence_id}", status_code=204)
async def end_silence(silence_id: str, _: CanWrite, hub: HubDep) -> Response:
    await SilenceService(hub).end(silence_id)
    return Response(status_code=204)


@router.get("/maintenance-windows", response_model=list[WindowOut])
async def list_windows(_: CanRead, hub: HubDep) -> list[WindowOut]:
    now = hub.clock.now_ms()
    return [WindowOut.of(r, window_active(r, now)) for r in await MaintenanceService(hub).all()]


@router.post("/maintenance-windows", response_model=WindowOut, status_code=201)
async def create_window(body: WindowIn, principal: CanWrite, hub: HubDep) -> WindowOut:
    row = await MaintenanceService(hub).create(body, principal.username)
    return WindowOut.of(row, window_active(row, hub.clock.now_ms()))


@router.delete("/maintenance-windows/{window_id}", status_code=204)
async def delete_window(window_id: str, _: CanWrite, hub: HubDep) -> Response:
    await MaintenanceService(hub).delete(window_id)
    return Response(status_code=204)
