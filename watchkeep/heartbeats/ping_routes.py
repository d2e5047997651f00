"""The public ping routes, compatible with Healthchecks: no authentication, GET, POST and
HEAD, plain-text answers. A script written for Healthchecks works by changing its base URL."""

from __future__ import annotations

import re

from fastapi import Request, Response
from starlette.routing import Route

from watchkeep.core.errors import WatchkeepError
from watchkeep.core.http.client import client_address
from watchkeep.core.http.openapi import documented
from watchkeep.core.http.ratelimit import RateLimit
from watchkeep.core.hub import Hub
from watchkeep.heartbeats.pings import Ping, PingRecorder

METHODS = ["GET", "POST", "HEAD"]
USER_AGENT_LIMIT = 200
_UUID = re.compile(
    r"^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|"
    r"[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12})$"
)
_ANY_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_EXIT_CODE = re.compile(r"^[0-9]{1,9}$")

ping_rate_limit = RateLimit("ping", lambda s: s.heartbeat_ping_rate_limit_per_minute, by="client")


def _answer(hub: Hub, text: str, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        text,
        status_code=status,
        media_type="text/plain",
        headers={
            "Access-Control-Allow-Origin": "*",
            "Cache-Control": "no-cache",
            "Ping-Body-Limit": str(hub.settings.heartbeat_ping_body_limit),
            **(headers or {}),
        },
    )


async def _ping(request: Request, uuid: str, kind: str, exit_code: int | None = None) -> Response:
    hub: Hub = request.app.state.hub
    try:
        await ping_rate_limit(request, hub)
    except WatchkeepError as exc:
        return _answer(hub, "rate limited", 429, exc.headers)
    if not _UUID.match(uuid):
        return _answer(hub, "not found", 404)
    rid = request.query_params.get("rid")
    if rid is not None:
        if not _ANY_UUID.match(rid):
            return _answer(hub, "invalid rid", 400)
        rid = rid.lower()
    limit = hub.settings.heartbeat_ping_body_limit
    has_body = request.method == "POST" or "content-length" in request.headers
    body = await request.body() if has_body and request.method != "HEAD" else b""
    ping = Ping(
        uuid=uuid.lower(),
        kind=kind,
        exit_code=exit_code,
        rid=rid,
        method=request.method,
        source_ip=client_address(request, hub.settings.trusted_proxies)[:64],
        user_agent=request.headers.get("user-agent", "")[:USER_AGENT_LIMIT],
        body=body[:limit],
        body_size=len(body),
    )
    recorder: PingRecorder = request.app.state.ping_recorder
    if not await recorder.record(ping):
        return _answer(hub, "not found", 404)
    return _answer(hub, "OK")


_UUID_SCHEMA = {"type": "string", "format": "uuid", "pattern": _UUID.pattern}
_ANSWERS = {
    "200": ("`OK`: the ping was recorded", "text/plain", None),
    "400": ("`invalid rid` or `invalid url format`", "text/plain", None),
    "404": ("`not found`: no monitor has this UUID", "text/plain", None),
    "429": ("`rate limited`: see Retry-After", "text/plain", None),
}
_BODY = ("text/plain", "Any text (a script's output), stored up to the `Ping-Body-Limit` answer header's bytes")


def _ping_doc(summary: str, **parameters: dict[str, object]) -> dict[str, object]:
    return {
        "summary": summary,
        "tags": ("pings",),
        "raw_body": _BODY,
        "parameters": {"uuid": _UUID_SCHEMA, **parameters},
        "responses": _ANSWERS,
        "own_errors": True,
    }


@documented(**_ping_doc("Success ping: the job ran"))
async def ping_success(request: Request) -> Response:
    return await _ping(request, request.path_params["uuid"], "success")


@documented(**_ping_doc("Start ping: a run began"))
async def ping_start(request: Request) -> Response:
    return await _ping(request, request.path_params["uuid"], "start")


@documented(**_ping_doc("Fail ping: the run failed"))
async def ping_fail(request: Request) -> Response:
    return await _ping(request, request.path_params["uuid"], "fail")


@documented(**_ping_doc("Log ping: a message that never changes the state"))
async def ping_log(request: Request) -> Response:
    return await _ping(request, request.path_params["uuid"], "log")


@documented(
    **_ping_doc(
        "Exit-code ping: 0 is success, 1-255 a failure",
        exit_code={"type": "integer", "minimum": 0, "maximum": 255},
    )
)
async def ping_exit_code(request: Request) -> Response:
    hub: Hub = request.app.state.hub
    exit_code: str = request.path_params["exit_code"]
    if not _EXIT_CODE.match(exit_code):
        return _answer(hub, "not found", 404)
    code = int(exit_code)
    if code > 255:
        return _answer(hub, "invalid url format", 400)
    return await _ping(request, request.path_params["uuid"], "success" if code == 0 else "fail", code)


# Plain routes, without dependency resolution: the ping path is the hottest in the hub.
routes = [
    Route("/ping/{uuid}", ping_success, methods=METHODS),
    Route("/ping/{uuid}/start", ping_start, methods=METHODS),
    Route("/ping/{uuid}/fail", ping_fail, methods=METHODS),
    Route("/ping/{uuid}/log", ping_log, methods=METHODS),
    Route("/ping/{uuid}/{exit_code}", ping_exit_code, methods=METHODS),
]
