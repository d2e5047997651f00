"""The public status page (`/status`, no sign-in) and its admin pages: groups and components
(ordered by dragging, or with the move buttons that work without scripts), incidents with
their updates, and the page's settings with a preview."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from watchkeep.core.errors import WatchkeepError
from watchkeep.core.hub import HubDep
from watchkeep.statuspage.monitors import KIND_LABELS, KINDS
from watchkeep.statuspage.public import public_view
from watchkeep.statuspage.public_routes import cached, public_rate_limit
from watchkeep.statuspage.repository import Component, Group
from watchkeep.statuspage.schemas import (
    ComponentOut,
    ComponentWrite,
    GroupWrite,
    IncidentCreate,
    PageSettingsWrite,
    UpdateWrite,
)
from watchkeep.statuspage.service import StatusPageService
from watchkeep.statuspage.status import LABELS, STATUSES
from watchkeep.web.forms import FormInvalid, errors_of, form_data, text, validated
from watchkeep.web.responses import see_other
from watchkeep.web.session import EditorChange, User
from watchkeep.web.templating import page, templates

router = APIRouter(include_in_schema=False)

# The public page may show a logo from elsewhere and be framed by the admin's preview.
PUBLIC_POLICY = "; ".join(
    [
        "default-src 'self'",
        "img-src 'self' data: https:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'self'",
    ]
)
IMPACTS = ("none", "minor", "major", "critical")
INCIDENT_STATUSES = ("investigating", "identified", "monitoring", "resolved")


@router.get("/status", dependencies=[public_rate_limit])
async def public_page(request: Request, hub: HubDep) -> Response:
    view = await public_view(hub)
    body = templates.get_template("status/page.html").render(view=view).encode()
    response = cached(request, body, "text/html; charset=utf-8")
    response.headers["Content-Security-Policy"] = PUBLIC_POLICY
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response


# Groups and components


async def _overview(
    request: Request, hub: HubDep, errors: dict[str, str] | None = None, status_code: int = 200
) -> Response:
    service = StatusPageService(hub)
    groups = await service.groups()
    components = await service.components()
    sections: list[tuple[Group | None, list[Component]]] = [
        (group, [c for c in components if c.group_id == group.id]) for group in groups
    ]
    sections.append((None, [c for c in components if c.group_id is None]))
    return page(
        request,
        "status_admin.html",
        status_code,
        sections=sections,
        groups=groups,
        labels=LABELS,
        errors=errors or {},
    )


@router.get("/status-page")
async def status_admin(request: Request, user: User, hub: HubDep) -> Response:
    return await _overview(request, hub)


@router.post("/status-page/groups")
async def create_group(request: Request, user: EditorChange, hub: HubDep) -> Response:
    form = await form_data(request)
    try:
        body = validated(GroupWrite, {"name": text(form, "name") or "", "description": text(form, "description") or ""})
        await StatusPageService(hub).create_group(body)
    except FormInvalid as exc:
        return await _overview(request, hub, exc.errors, 400)
    except WatchkeepError as exc:
        return await _overview(request, hub, errors_of(exc), exc.status)
    return see_other("/status-page")


@router.post("/status-page/groups/{group_id}/delete")
async def delete_group(group_id: str, request: Request, user: EditorChange, hub: HubDep) -> Response:
    await StatusPageService(hub).delete_group(group_id)
    return see_other("/status-page")


@router.post("/status-page/components/{component_id}/move")
async def move_component(component_id: str, request: Request, user: EditorChange, hub: HubDep) -> Response:
    form = await form_data(request)
    await StatusPageService(hub).move(component_id, -1 if form.get("direction") == "up" else 1)
    return see_other(f"/status-page#component-{component_id}")


@router.post("/status-page/order")
async def arrange(request: Request, user: EditorChange, hub: HubDep) -> Response:
    """The order the page's drag and drop left: `order` is `componentId:groupId` pairs,
    comma-separated, in order (an empty group id: ungrouped)."""
    form = await form_data(request)
    order: list[tuple[str, str | None]] = []
    for part in (form.get("order") or "").split(","):
        if part.strip():
            component_id, _, group_id = part.strip().partition(":")
            order.append((component_id, group_id or None))
    await StatusPageService(hub).arrange(order)
    return see_other("/status-page")


def _component_fields(form: Any) -> dict[str, Any]:
    """The posted form as the API's JSON body."""
    monitors = []
    for value in form.getlist("monitor"):
        kind, _, ident = str(value).partition(":")
        monitors.append({"type": kind, "id": ident})
    matches = []
    for number, line in enumerate(str(form.get("matches") or "").splitlines(), start=1):
        words = line.split()
        if not words:
            continue
        if words[0] not in KINDS:
            raise FormInvalid({"matches": f"line {number}: start with a type ({', '.join(KINDS)})"})
        labels = {}
        for pair in " ".join(words[1:]).replace(",", " ").split():
            key, sep, value = pair.partition("=")
            if not key or not sep:
                raise FormInvalid({"matches": f"line {number}: labels are key=value"})
            labels[key] = value
        matches.append({"type": words[0], "labels": labels})
    return {
        "name": str(form.get("name") or "").strip(),
        "slug": str(form.get("slug") or "").strip() or None,
        "description": str(form.get("description") or "").strip(),
        "groupId": str(form.get("groupId") or "") or None,
        "overrideStatus": str(form.get("overrideStatus") or "") or None,
        "autoIncident": form.get("autoIncident") == "on",
        "monitors": monitors,
        "matches": matches,
    }


def _matches_text(matches: list[dict[str, Any]]) -> str:
    return "\n".join(
        " ".join([m["type"], *(f"{k}={v}" for k, v in sorted((m.get("labels") or {}).items()))]) for m in matches
    )


async def _component_form(
    request: Request,
    hub: HubDep,
    component: ComponentOut | None,
    values: dict[str, Any],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    service = StatusPageService(hub)
    monitors = await service.linkable()
    by_kind = [(kind, KIND_LABELS[kind], [m for m in monitors if m.kind == kind]) for kind in KINDS]
    return page(
        request,
        "status_component_form.html",
        status_code,
        component=component,
        values=values,
        errors=errors,
        groups=await service.groups(),
        statuses=[(status, LABELS[status]) for status in STATUSES],
        by_kind=by_kind,
        linked={f"{m['type']}:{m['id']}" for m in values.get("monitors", [])},
    )


@router.get("/status-page/components/new")
async def new_component_page(request: Request, user: User, hub: HubDep) -> Response:
    return await _component_form(request, hub, None, {"matchesText": ""}, {})


@router.post("/status-page/components/new")
async def create_component(request: Request, user: EditorChange, hub: HubDep) -> Response:
    form = await request.form()
    values: dict[str, Any] = {"matchesText": form.get("matches") or ""}
    try:
        fields = _component_fields(form)
        values.update(fields)
        body = validated(ComponentWrite, fields)
        await StatusPageService(hub).create_component(body)
    except FormInvalid as exc:
        return await _component_form(request, hub, None, values, exc.errors, 400)
    except WatchkeepError as exc:
        return await _component_form(request, hub, None, values, errors_of(exc), exc.status)
    return see_other("/status-page")


@router.get("/status-page/components/{component_id}")
async def edit_component_page(component_id: str, request: Request, user: User, hub: HubDep) -> Response:
    component = ComponentOut.of(await StatusPageService(hub).component(component_id))
    values = component.model_dump(by_alias=True, mode="json")
    values["matchesText"] = _matches_text(values["matches"])
    return await _component_form(request, hub, component, values, {})


@router.post("/status-page/components/{component_id}")
async def edit_component(component_id: str, request: Request, user: EditorChange, hub: HubDep) -> Response:
    service = StatusPageService(hub)
    component = ComponentOut.of(await service.component(component_id))
    form = await request.form()
    values: dict[str, Any] = {"matchesText": form.get("matches") or ""}
    try:
        fields = _component_fields(form)
        values.update(fields)
        body = validated(ComponentWrite, {**fields, "position": component.position})
        await service.replace_component(component_id, body)
    except FormInvalid as exc:
        return await _component_form(request, hub, component, values, exc.errors, 400)
    except WatchkeepError as exc:
        return await _component_form(request, hub, component, values, errors_of(exc), exc.status)
    return see_other("/status-page")


@router.post("/status-page/components/{component_id}/delete")
async def delete_component(component_id: str, request: Request, user: EditorChange, hub: HubDep) -> Response:
    await StatusPageService(hub).delete_component(component_id)
    return see_other("/status-page")


# Incidents


async def _incidents(
    request: Request, hub: HubDep, values: dict[str, Any], errors: dict[str, str], status_code: int = 200
) -> Response:
    service = StatusPageService(hub)
    return page(
        request,
        "status_incidents.html",
        status_code,
        incidents=await service.incidents(),
        components=await service.components(),
        impacts=IMPACTS,
        statuses=INCIDENT_STATUSES,
        values=values,
        errors=errors,
    )


@router.get("/status-page/incidents")
async def incidents_page(request: Request, user: User, hub: HubDep) -> Response:
    return await _incidents(request, hub, {"impact": "minor", "status": "investigating"}, {})


@router.post("/status-page/incidents")
async def create_incident(request: Request, user: EditorChange, hub: HubDep) -> Response:
    form = await request.form()
    fields = {
        "title": str(form.get("title") or "").strip(),
        "impact": form.get("impact") or "minor",
        "status": form.get("status") or "investigating",
        "message": str(form.get("message") or "").strip(),
        "componentIds": [str(v) for v in form.getlist("componentIds")],
    }
    try:
        created = await StatusPageService(hub).create_incident(validated(IncidentCreate, fields))
    except FormInvalid as exc:
        return await _incidents(request, hub, fields, exc.errors, 400)
    except WatchkeepError as exc:
        return await _incidents(request, hub, fields, errors_of(exc), exc.status)
    return see_other(f"/status-page/incidents/{created.id}")


async def _incident(
    request: Request,
    hub: HubDep,
    incident_id: str,
    values: dict[str, Any],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    service = StatusPageService(hub)
    incident = await service.incident(incident_id)
    names = {c.id: c.name for c in await service.components()}
    return page(
        request,
        "status_incident.html",
        status_code,
        incident=incident,
        names=names,
        statuses=INCIDENT_STATUSES,
        values=values,
        errors=errors,
    )


@router.get("/status-page/incidents/{incident_id}")
async def incident_page(incident_id: str, request: Request, user: User, hub: HubDep) -> Response:
    return await _incident(request, hub, incident_id, {}, {})


@router.post("/status-page/incidents/{incident_id}/updates")
async def post_update(incident_id: str, request: Request, user: EditorChange, hub: HubDep) -> Response:
    form = await form_data(request)
    fields = {"status": form.get("status") or "", "message": (text(form, "message") or "")}
    try:
        await StatusPageService(hub).post_update(incident_id, validated(UpdateWrite, fields))
    except FormInvalid as exc:
        return await _incident(request, hub, incident_id, fields, exc.errors, 400)
    except WatchkeepError as exc:
        return await _incident(request, hub, incident_id, fields, errors_of(exc), exc.status)
    return see_other(f"/status-page/incidents/{incident_id}")


@router.post("/status-page/incidents/{incident_id}/delete")
async def delete_incident(incident_id: str, request: Request, user: EditorChange, hub: HubDep) -> Response:
    await StatusPageService(hub).delete_incident(incident_id)
    return see_other("/status-page/incidents")


# Settings


@router.get("/status-page/settings")
async def settings_page(request: Request, user: User, hub: HubDep) -> Response:
    settings = await StatusPageService(hub).settings()
    values = {
        "title": settings.title,
        "description": settings.description,
        "logoUrl": settings.logo_url,
        "footer": settings.footer,
    }
    return page(
        request,
        "status_settings.html",
        values=values,
        errors={},
        saved=request.query_params.get("saved"),
        # The preview asks for the page as it is now, not as the browser cached it.
        stamp=settings.updated_at,
    )


@router.post("/status-page/settings")
async def save_settings(request: Request, user: EditorChange, hub: HubDep) -> Response:
    form = await form_data(request)
    fields = {key: (form.get(key) or "").strip() for key in ("title", "description", "logoUrl", "footer")}
    try:
        await StatusPageService(hub).replace_settings(validated(PageSettingsWrite, fields))
    except FormInvalid as exc:
        return page(request, "status_settings.html", 400, values=fields, errors=exc.errors, saved=None, stamp=0)
    except WatchkeepError as exc:
        errors = errors_of(exc)
        return page(request, "status_settings.html", exc.status, values=fields, errors=errors, saved=None, stamp=0)
    return see_other("/status-page/settings?saved=1")
