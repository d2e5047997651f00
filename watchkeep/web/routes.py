"""The pages. Each one reads through the domain services and renders a template; a change
posted from a page goes through the same services and the same validation as the API."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles

from watchkeep.agents.service import AgentService
from watchkeep.alerts.schemas import AlertOut
from watchkeep.alerts.service import AlertService
from watchkeep.core.auth.cookies import SESSION_COOKIE, clear_session, set_session
from watchkeep.core.auth.service import AuthService
from watchkeep.core.errors import ErrorCode, WatchkeepError
from watchkeep.core.health import CAPABILITIES, EDITION
from watchkeep.core.http.client import client_address
from watchkeep.core.hub import Hub, HubDep
from watchkeep.heartbeats.cronreading import next_runs, read_cron
from watchkeep.heartbeats.schemas import HeartbeatOut, HeartbeatWrite
from watchkeep.heartbeats.service import HeartbeatService
from watchkeep.resources.service import ResourceService
from watchkeep.resources.thresholds import HOST
from watchkeep.runtime.service import runtime_status
from watchkeep.web import (
    admin,
    alerting,
    certificates,
    containers,
    endpoints,
    notifications,
    overview,
    sparklines,
    status_page,
    thresholds,
    updates,
)
from watchkeep.web.forms import FormInvalid, errors_of, form_data, text, validated
from watchkeep.web.responses import int_param, safe_next, see_other
from watchkeep.web.session import AdminChange, AnyChange, EditorChange, LoginRequired, User, login_url, signed_in
from watchkeep.web.templating import STATIC, page

router = APIRouter(include_in_schema=False)


# Sign-in


@router.get("/login")
async def login_page(request: Request, hub: HubDep) -> Response:
    if await signed_in(request, hub) is not None:
        return see_other(safe_next(request.query_params.get("next")))
    return page(
        request,
        "login.html",
        next=safe_next(request.query_params.get("next")),
        first_start=not await AuthService(hub).anyone_logged_in(),
        errors={},
        username="",
    )


@router.post("/login")
async def login(request: Request, hub: HubDep) -> Response:
    form = await form_data(request)
    username = form.get("username", "")
    next_path = safe_next(form.get("next"))
    client = client_address(request, hub.settings.trusted_proxies)
    try:
        _, session_id, csrf = await AuthService(hub).login(username, form.get("password", ""), client)
    except WatchkeepError as exc:
        status = exc.status if exc.code is ErrorCode.RATE_LIMITED else 401
        return page(
            request,
            "login.html",
            status_code=status,
            next=next_path,
            first_start=False,
            errors={"": exc.message},
            username=username,
        )
    response = see_other(next_path)
    set_session(response, request, hub.settings, session_id, csrf)
    return response


@router.post("/logout")
async def logout(request: Request, user: AnyChange, hub: HubDep) -> Response:
    session_id = request.cookies.get(SESSION_COOKIE)
    if session_id:
        await AuthService(hub).logout(session_id)
    response = see_other("/login")
    clear_session(response)
    return response


@router.get("/account")
async def account_page(request: Request, user: User) -> Response:
    return page(request, "account.html", errors={})


@router.post("/account/password")
async def change_password(request: Request, user: AnyChange, hub: HubDep) -> Response:
    form = await form_data(request)
    try:
        await AuthService(hub).change_own_password(
            user.user_id, form.get("currentPassword", ""), form.get("newPassword", "")
        )
    except WatchkeepError as exc:
        return page(request, "account.html", status_code=exc.status, errors=errors_of(exc))
    response = see_other("/login?changed=1")
    clear_session(response)
    return response


# Overview


async def _overview(request: Request, hub: Hub, *, kind: str | None, template: str) -> Response:
    query = request.query_params
    view = await overview.build(
        hub,
        search=query.get("q", ""),
        state=query.get("state") or None,
        kind=kind if kind is not None else (query.get("kind") or None),
        page=int_param(query.get("page"), 1),
    )
    if query.get("fragment") == "monitors":
        return page(request, "_monitors.html", view=view, path=request.scope["path"])
    alerts = [AlertOut.of(row) for row in await AlertService(hub).active()] if kind is None else []
    top = await overview.top_containers(hub) if kind is None else []
    sparks = await sparklines.host_sparks(hub) if kind is None else []
    return page(
        request,
        template,
        view=view,
        path=request.scope["path"],
        states=overview.STATES,
        kinds=overview.KINDS,
        alerts=alerts,
        top=top,
        sparks=sparks,
    )


@router.get("/")
async def home(request: Request, user: User, hub: HubDep) -> Response:
    return await _overview(request, hub, kind=None, template="overview.html")


# Heartbeats


@router.get("/heartbeats")
async def heartbeats_page(request: Request, user: User, hub: HubDep) -> Response:
    return await _overview(request, hub, kind="heartbeat", template="heartbeats.html")


def _heartbeat_fields(form: dict[str, Any]) -> dict[str, Any]:
    """The form's fields as the API's JSON body."""
    kind = form.get("kind") or "simple"
    fields: dict[str, Any] = {
        "name": form.get("name", ""),
        "kind": kind,
        "graceSeconds": text(form, "graceSeconds") or 3600,
        "timezone": text(form, "timezone") or "UTC",
        "methods": form.get("methods") or "any",
        "manualResume": form.get("manualResume") in ("on", "true", "1"),
        "tags": [tag.strip() for tag in (form.get("tags") or "").split(",") if tag.strip()],
        "description": form.get("description", ""),
    }
    if kind == "cron":
        fields["cron"] = text(form, "cron")
    else:
        fields["periodSeconds"] = text(form, "periodSeconds")
    return fields


def _form_values(monitor: HeartbeatOut | None) -> dict[str, Any]:
    if monitor is None:
        return {"kind": "simple", "periodSeconds": 86400, "graceSeconds": 3600, "timezone": "UTC", "methods": "any"}
    values = monitor.model_dump(by_alias=True)
    values["tags"] = ", ".join(monitor.tags)
    return values


@router.get("/heartbeats/new")
async def new_heartbeat_page(request: Request, user: User) -> Response:
    return page(request, "heartbeat_form.html", monitor=None, values=_form_values(None), errors={})


@router.post("/heartbeats/new")
async def create_heartbeat(request: Request, user: EditorChange, hub: HubDep) -> Response:
    form = await form_data(request)
    try:
        body = validated(HeartbeatWrite, _heartbeat_fields(form))
        created = await HeartbeatService(hub).create(body.to_row())
    except FormInvalid as exc:
        return page(request, "heartbeat_form.html", 400, monitor=None, values=form, errors=exc.errors)
    except WatchkeepError as exc:
        return page(request, "heartbeat_form.html", exc.status, monitor=None, values=form, errors=errors_of(exc))
    return see_other(f"/heartbeats/{created['id']}")


async def _monitor(hub: Hub, heartbeat_id: str) -> HeartbeatOut:
    row = await HeartbeatService(hub).get(heartbeat_id)
    return HeartbeatOut.of(row, hub.settings.base_url, hub.clock.now_ms())


@router.get("/heartbeats/cron-preview")
async def cron_preview(request: Request, user: User, hub: HubDep) -> Response:
    """The reading of the cron expression being typed and its next five runs."""
    query = request.query_params
    expression = (query.get("cron") or "").strip()
    timezone = (query.get("timezone") or "UTC").strip() or "UTC"
    if not expression:
        return page(request, "_cron_preview.html", reading=None, runs=[], error=None)
    try:
        runs = next_runs(expression, timezone, hub.clock.now())
    except WatchkeepError as exc:
        return page(request, "_cron_preview.html", reading=None, runs=[], error=exc.message)
    return page(request, "_cron_preview.html", reading=read_cron(expression), runs=runs, error=None)


@router.get("/heartbeats/{heartbeat_id}")
async def heartbeat_page(heartbeat_id: str, request: Request, user: User, hub: HubDep) -> Response:
    service = HeartbeatService(hub)
    monitor = await _monitor(hub, heartbeat_id)
    context: dict[str, Any] = {
        "monitor": monitor,
        "pings": await service.pings(heartbeat_id, 20),
        "executions": await service.executions(heartbeat_id, 20),
        "timeline": await service.timeline(heartbeat_id, 20),
        "days": await service.daily_uptime(heartbeat_id, 90),
    }
    if request.query_params.get("fragment") == "state":
        return page(request, "_heartbeat_state.html", **context)
    return page(request, "heartbeat.html", **context)


@router.get("/heartbeats/{heartbeat_id}/edit")
async def edit_heartbeat_page(heartbeat_id: str, request: Request, user: User, hub: HubDep) -> Response:
    monitor = await _monitor(hub, heartbeat_id)
    return page(request, "heartbeat_form.html", monitor=monitor, values=_form_values(monitor), errors={})


@router.post("/heartbeats/{heartbeat_id}/edit")
async def edit_heartbeat(heartbeat_id: str, request: Request, user: EditorChange, hub: HubDep) -> Response:
    form = await form_data(request)
    monitor = await _monitor(hub, heartbeat_id)
    try:
        body = validated(HeartbeatWrite, _heartbeat_fields(form))
        await HeartbeatService(hub).replace(heartbeat_id, body.to_row())
    except FormInvalid as exc:
        return page(request, "heartbeat_form.html", 400, monitor=monitor, values=form, errors=exc.errors)
    except WatchkeepError as exc:
        return page(request, "heartbeat_form.html", exc.status, monitor=monitor, values=form, errors=errors_of(exc))
    return see_other(f"/heartbeats/{heartbeat_id}")


@router.post("/heartbeats/{heartbeat_id}/{action}")
async def heartbeat_action(
    heartbeat_id: str, action: str, request: Request, user: EditorChange, hub: HubDep
) -> Response:
    service = HeartbeatService(hub)
    if action == "pause":
        await service.pause(heartbeat_id)
    elif action == "resume":
        await service.resume(heartbeat_id)
    elif action == "delete":
        await service.delete(heartbeat_id)
        return see_other("/heartbeats")
    else:
        raise WatchkeepError(ErrorCode.NOT_FOUND, f"No action {action!r}")
    return see_other(f"/heartbeats/{heartbeat_id}")


# Hosts


@router.get("/hosts/{agent_id}")
async def host_page(agent_id: str, request: Request, user: User, hub: HubDep) -> Response:
    agents = AgentService(hub)
    agent = await agents.get(agent_id)
    current = await ResourceService(hub).current(agent_id)
    if request.query_params.get("fragment") == "now":
        return page(request, "_host_now.html", agent=agent, current=current)
    row = await agents.get_row(agent_id)
    return page(
        request,
        "host.html",
        agent=agent,
        current=current,
        processes=await ResourceService(hub).processes(agent_id),
        checks=await agents.checks(agent_id),
        dropped=row["dropped_payloads"],
        collector_errors=json.loads(row["collector_errors"] or "[]"),
        hub_url=hub.settings.base_url,
        **await thresholds.context(hub, HOST, agent_id, f"/hosts/{agent_id}/thresholds"),
    )


@router.post("/hosts/{agent_id}/token")
async def host_token(agent_id: str, request: Request, user: AdminChange, hub: HubDep) -> Response:
    """A new token for the host's agent, shown once with the commands that use it."""
    rotated = await AgentService(hub).rotate(agent_id)
    return page(request, "_host_token.html", agent_id=agent_id, token=rotated.token, hub_url=hub.settings.base_url)


# Settings


@router.get("/settings")
async def settings_page(request: Request, user: User, hub: HubDep) -> Response:
    enabled: set[str] = request.app.state.capabilities
    return page(
        request,
        "settings.html",
        database=hub.store.dialect,
        edition=EDITION,
        capabilities=[(name, name in enabled) for name in CAPABILITIES],
        runtime=await runtime_status(hub.settings.docker_host),
    )


NOT_PAGES = ("/api/", "/agent/", "/ping/", "/static/")


def _is_page(path: str) -> bool:
    """Whatever is not an API, an agent protocol, a ping, the metrics or a static file is a page."""
    return not path.startswith(NOT_PAGES) and path not in ("/agent", "/metrics")


def install_web(app: FastAPI) -> None:
    """Mount the pages and their static files; a visitor who is not signed in goes to the
    login page, and an error on a page is a page, not JSON."""
    api_error = app.exception_handlers[WatchkeepError]

    async def to_login(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, LoginRequired)
        return see_other(login_url(exc.next_path))

    async def on_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, WatchkeepError)
        if not _is_page(request.scope["path"]):
            response: Response = await api_error(request, exc)  # type: ignore[misc]
            return response
        return page(request, "error.html", status_code=exc.status, error=exc)

    app.add_exception_handler(LoginRequired, to_login)
    app.add_exception_handler(WatchkeepError, on_error)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(router)
    for pages in (
        containers.router,
        endpoints.router,
        certificates.router,
        updates.router,
        alerting.router,
        notifications.router,
        admin.router,
        status_page.router,
    ):
        app.include_router(pages)
    app.include_router(thresholds.router)
