"""The alert pages: active alerts and their history, an alert's details and timeline,
acknowledge and snooze; silences and maintenance windows. Every change goes through the
services and request models of /api/v1/alerts, /api/v1/silence and /api/v1/maintenance-windows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from watchkeep.alerts.maintenance import window_active
from watchkeep.alerts.schemas import AlertOut, SilenceIn, SilenceOut, SnoozeIn, WindowIn, WindowOut
from watchkeep.alerts.service import AlertService
from watchkeep.alerts.silences import MaintenanceService, SilenceService
from watchkeep.core.clock import rfc3339, to_ms
from watchkeep.core.errors import WatchkeepError, validation_error
from watchkeep.core.hub import HubDep
from watchkeep.notify.schemas import DeliveryOut
from watchkeep.notify.service import ChannelService, OutboxService
from watchkeep.web.fields import local_time, matchers_of
from watchkeep.web.forms import FormInvalid, errors_of, form_data, text, validated
from watchkeep.web.responses import safe_next, see_other
from watchkeep.web.session import EditorChange, User
from watchkeep.web.templating import page

router = APIRouter(include_in_schema=False)

HISTORY_PAGE = 25
SNOOZES = (("1 h", 3600), ("4 h", 4 * 3600), ("1 day", 86400))


# Alerts


@router.get("/alerts")
async def alerts_page(request: Request, user: User, hub: HubDep) -> Response:
    alerts = [AlertOut.of(row) for row in await AlertService(hub).active()]
    if request.query_params.get("fragment") == "alerts":
        return page(request, "_alerts.html", alerts=alerts)
    cursor = request.query_params.get("cursor") or None
    rows, next_cursor = await AlertService(hub).search(
        filters={}, status="resolved", since_ms=None, until_ms=None, cursor=cursor, limit=HISTORY_PAGE
    )
    history = [AlertOut.of(row) for row in rows]
    return page(request, "alerts.html", alerts=alerts, history=history, cursor=cursor, next_cursor=next_cursor)


@router.post("/alerts/{alert_id}/acknowledge")
async def acknowledge_alert(alert_id: str, request: Request, user: EditorChange, hub: HubDep) -> Response:
    form = await form_data(request)
    await AlertService(hub).acknowledge(alert_id, user.username)
    return see_other(safe_next(form.get("next") or "/alerts"))


@dataclass(frozen=True)
class Moment:
    """One line of an alert's timeline."""

    at: str
    what: str
    detail: str = ""


def _timeline(alert: AlertOut, deliveries: list[DeliveryOut], channels: dict[str, str]) -> list[Moment]:
    moments = [Moment(alert.fired_at or "", "Fired", f"{alert.severity}: {alert.message}")]
    if alert.notified_at:
        moments.append(Moment(alert.notified_at, "Notified", f"at severity {alert.severity}"))
    for delivery in deliveries:
        target = channels.get(delivery.id, "")
        if delivery.delivered_at:
            moments.append(Moment(delivery.delivered_at, "Delivered", f"{delivery.event_type} to {target}"))
        elif delivery.status != "pending":
            moments.append(
                Moment(
                    delivery.created_at or "", f"Delivery {delivery.status}", f"{target}: {delivery.last_error or ''}"
                )
            )
    if alert.acknowledged_at:
        moments.append(Moment(alert.acknowledged_at, "Acknowledged", f"by {alert.acknowledged_by}"))
    if alert.resolved_at:
        moments.append(Moment(alert.resolved_at, "Resolved", alert.resolution or ""))
    return sorted(moments, key=lambda m: m.at)


async def _alert_page(request: Request, hub: HubDep, alert_id: str, status: int = 200, **extra: Any) -> Response:
    alert = AlertOut.of(await AlertService(hub).get(alert_id))
    rows = await OutboxService(hub).for_alert(alert_id, 50)
    names = {row["id"]: row["name"] for row, _ in await ChannelService(hub).all()}
    targets = {row["id"]: names.get(row["target_id"], row["target_id"]) for row in rows}
    deliveries = [DeliveryOut.of(row) for row in rows]
    context: dict[str, Any] = {"errors": {}, "values": {}, **extra}
    template = "_alert.html" if request.query_params.get("fragment") == "alert" else "alert.html"
    return page(
        request,
        template,
        status,
        alert=alert,
        timeline=_timeline(alert, deliveries, targets),
        deliveries=deliveries,
        targets=targets,
        snoozes=SNOOZES,
        **context,
    )


@router.get("/alerts/{alert_id}")
async def alert_page(alert_id: str, request: Request, user: User, hub: HubDep) -> Response:
    return await _alert_page(request, hub, alert_id)


@router.post("/alerts/{alert_id}/snooze")
async def snooze_alert(alert_id: str, request: Request, user: EditorChange, hub: HubDep) -> Response:
    form = await form_data(request)
    fields = {"until": local_time(form, "until"), "durationSeconds": text(form, "durationSeconds")}
    try:
        body = validated(SnoozeIn, {k: v for k, v in fields.items() if v is not None})
        if (body.until is None) == (body.duration_seconds is None):
            raise validation_error("give exactly one of until and durationSeconds", "until")
        until = body.until or hub.clock.now() + timedelta(seconds=body.duration_seconds or 0)
        await AlertService(hub).snooze(alert_id, to_ms(until))
    except FormInvalid as exc:
        return await _alert_page(request, hub, alert_id, 400, errors=exc.errors, values=form)
    except WatchkeepError as exc:
        return await _alert_page(request, hub, alert_id, exc.status, errors=errors_of(exc), values=form)
    return see_other(f"/alerts/{alert_id}")


# Silences


async def _silences_page(request: Request, hub: HubDep, status: int = 200, **extra: Any) -> Response:
    now = hub.clock.now_ms()
    silences = [SilenceOut.of(row, now) for row in await SilenceService(hub).current()]
    context: dict[str, Any] = {"errors": {}, "values": {"durationSeconds": 3600}, **extra}
    return page(request, "silences.html", status, silences=silences, **context)


@router.get("/silences")
async def silences_page(request: Request, user: User, hub: HubDep) -> Response:
    return await _silences_page(request, hub)


@router.post("/silences")
async def create_silence(request: Request, user: EditorChange, hub: HubDep) -> Response:
    form = await form_data(request)
    fields: dict[str, Any] = {
        "matchers": matchers_of(form),
        "startsAt": local_time(form, "startsAt"),
        "endsAt": local_time(form, "endsAt"),
        "durationSeconds": text(form, "durationSeconds"),
        "comment": form.get("comment", ""),
    }
    try:
        body = validated(SilenceIn, {k: v for k, v in fields.items() if v is not None})
        await SilenceService(hub).create(body, user.username)
    except FormInvalid as exc:
        return await _silences_page(request, hub, 400, errors=exc.errors, values=form)
    except WatchkeepError as exc:
        return await _silences_page(request, hub, exc.status, errors=errors_of(exc), values=form)
    return see_other("/silences")


@router.post("/silences/{silence_id}/end")
async def end_silence(silence_id: str, request: Request, user: EditorChange, hub: HubDep) -> Response:
    await SilenceService(hub).end(silence_id)
    return see_other("/silences")


# Maintenance windows


async def _maintenance_page(request: Request, hub: HubDep, status: int = 200, **extra: Any) -> Response:
    now = hub.clock.now_ms()
    windows = [WindowOut.of(row, window_active(row, now)) for row in await MaintenanceService(hub).all()]
    context: dict[str, Any] = {"errors": {}, "values": {"timezone": "UTC", "recurring": "once"}, **extra}
    return page(request, "maintenance.html", status, windows=windows, now=rfc3339(now), **context)


@router.get("/maintenance")
async def maintenance_page(request: Request, user: User, hub: HubDep) -> Response:
    return await _maintenance_page(request, hub)


@router.post("/maintenance")
async def create_window(request: Request, user: EditorChange, hub: HubDep) -> Response:
    form = await form_data(request)
    fields: dict[str, Any] = {
        "name": form.get("name", ""),
        "matchers": matchers_of(form),
        "timezone": text(form, "timezone") or "UTC",
        "comment": form.get("comment", ""),
    }
    if form.get("recurring") == "cron":
        fields.update(cron=text(form, "cron"), durationSeconds=text(form, "durationSeconds"))
    else:
        fields.update(startsAt=local_time(form, "startsAt"), endsAt=local_time(form, "endsAt"))
    try:
        body = validated(WindowIn, {k: v for k, v in fields.items() if v is not None})
        await MaintenanceService(hub).create(body, user.username)
    except FormInvalid as exc:
        return await _maintenance_page(request, hub, 400, errors=exc.errors, values=form)
    except WatchkeepError as exc:
        return await _maintenance_page(request, hub, exc.status, errors=errors_of(exc), values=form)
    return see_other("/maintenance")


@router.post("/maintenance/{window_id}/delete")
async def delete_window(window_id: str, request: Request, user: EditorChange, hub: HubDep) -> Response:
    await MaintenanceService(hub).delete(window_id)
    return see_other("/maintenance")
