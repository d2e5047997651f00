"""The four agent protocols, each exactly as its contract in spec/ fixes it:
`POST /api/metrics/ingest` and `GET /api/agent/config` (agent-metrics-ingest.txt),
`POST /agent/report` (agent-report.txt), `PUT /api/v1/agents/{uuid}/heartbeat`
(agent-heartbeat.txt), `POST /api/v1/agents/register` and `.../{agentId}/push`
(agents-register-push.txt)."""

from __future__ import annotations

from typing import Any

import msgspec
from fastapi import Request, Response
from starlette.routing import Route

from watchkeep.agents.auth import (
    AgentAuth,
    agent_credential,
    credential_for_agent,
    limit_agent,
    registration_proof,
)
from watchkeep.agents.ingest import heartbeat, native, push, report
from watchkeep.agents.ingest.store import IngestAnswer, IngestService, place_in_time
from watchkeep.agents.ingest.times import parse_ms
from watchkeep.agents.schemas import AgentRegister, decoded
from watchkeep.agents.service import AgentService
from watchkeep.agents.tokens import AGENT_KEY_PATTERN
from watchkeep.core.auth.deps import CanRegisterAgents
from watchkeep.core.errors import ErrorCode, WatchkeepError, validation_error
from watchkeep.core.http.openapi import AGENT_TOKEN, PUBLIC, USER_OR_KEY, documented
from watchkeep.core.http.routing import make_router
from watchkeep.core.hub import Hub, HubDep
from watchkeep.core.idempotency.service import idempotent, run_idempotent
from watchkeep.protocol.ingest import IngestPayload, PayloadError, decode_ingest

TAG = "agent protocols"
router = make_router(tags=[TAG])


def _json(body: Any, status_code: int = 200) -> Response:
    return Response(msgspec.json.encode(body), status_code=status_code, media_type="application/json")


@documented(
    summary="Native metrics payload (agent-metrics-ingest.txt)",
    tags=(TAG,),
    body=IngestPayload,
    security=(AGENT_TOKEN,),
    responses={"200": ("What was stored", "application/json", IngestAnswer)},
)
async def ingest(request: Request) -> Response:
    """`POST /api/metrics/ingest`, the hot path: a plain route (no dependency injection),
    which keeps the framework's share of a payload's cost small."""
    hub: Hub = request.app.state.hub

    async def handle(request: Request) -> Response:
        credential = await agent_credential(request, hub)
        try:
            payload = decode_ingest(await request.body())
            given = parse_ms(payload.timestamp, "timestamp") if payload.timestamp else None
            at_ms, clamped = place_in_time(hub, given)
            batch = native.to_batch(payload, at_ms, clamped)
        except PayloadError as exc:
            raise validation_error(exc.message, exc.field) from None
        stored = await IngestService(hub).store(credential, batch)
        return _json(stored.body())

    return await run_idempotent(hub, request, handle)


# Plain routes, mounted ahead of the routers (app.py): the router tries routes in order.
routes = [Route("/api/metrics/ingest", ingest, methods=["POST"])]


@router.get("/api/agent/config", summary="What the hub wants this agent to collect and check")
@documented(security=(AGENT_TOKEN,))
async def agent_config(credential: AgentAuth, hub: HubDep) -> Response:
    return _json(await AgentService(hub).config_for(credential))


@router.post("/agent/report", summary="Simple script report (agent-report.txt)")
@documented(body=report.Report, security=PUBLIC)
@idempotent
async def agent_report(request: Request, hub: HubDep) -> Response:
    body = decoded(report.decoder, await request.body(), status=422)
    if not AGENT_KEY_PATTERN.match(body.agent_key):
        raise validation_error("agent_key is malformed", "agent_key", status=422)
    try:
        batch = report.to_batch(body, hub.clock.now_ms())
    except PayloadError as exc:
        raise validation_error(exc.message, exc.field, status=422) from None
    credential = await AgentService(hub).credential_for_key(body.agent_key)
    if credential is None:
        raise WatchkeepError(ErrorCode.NOT_FOUND, "Agent key not found", field="agent_key")
    limit_agent(request, hub, credential.agent_id)
    await IngestService(hub).store(credential, batch)
    return _json({"status": "ok"})


@router.put("/api/v1/agents/{uuid}/heartbeat", summary="Agent heartbeat (agent-heartbeat.txt)")
@documented(body=heartbeat.Heartbeat, security=(AGENT_TOKEN, *USER_OR_KEY))
async def agent_heartbeat(uuid: str, request: Request, hub: HubDep) -> Response:
    credential = await credential_for_agent(request, hub, uuid, allow_api_key=True)
    body = decoded(heartbeat.decoder, await request.body())
    try:
        batch = heartbeat.to_batch(body, hub.clock.now_ms())
    except PayloadError as exc:
        raise validation_error(exc.message, exc.field) from None
    await IngestService(hub).store(credential, batch)
    service = AgentService(hub)
    return _json(service.heartbeat_out(await service.get_row(uuid)))


@router.post("/api/v1/agents/register", summary="Register an agent (agents-register-push.txt)")
async def register_agent(body: AgentRegister, request: Request, _: CanRegisterAgents, hub: HubDep) -> Response:
    service = AgentService(hub)
    registration = await service.register(body, await registration_proof(request, service, body.agent_key))
    return _json(
        {
            "agentId": registration.agent_id,
            "token": registration.token,
            "tokenExpiresIn": registration.expires_in,
            "pushIntervalSeconds": registration.push_interval_seconds,
        }
    )


@router.post("/api/v1/agents/{agent_id}/push", summary="Push containers (agents-register-push.txt)")
@documented(body=push.Push, security=(AGENT_TOKEN,))
@idempotent
async def push_metrics(agent_id: str, request: Request, hub: HubDep) -> Response:
    credential = await credential_for_agent(request, hub, agent_id, allow_api_key=False)
    body = decoded(push.decoder, await request.body())
    try:
        given = parse_ms(body.timestamp, "timestamp") if body.timestamp else None
        at_ms, clamped = place_in_time(hub, given)
    except PayloadError as exc:
        raise validation_error(exc.message, exc.field) from None
    await IngestService(hub).store(credential, push.to_batch(body, at_ms, clamped))
    return _json({"ok": True})
