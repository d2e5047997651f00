"""How agents authenticate: a Bearer agent token (or signed token) on the native, push and
heartbeat routes, `agent_key` in the body on `/agent/report`. Each authenticated agent
spends its own rate-limit budget."""

from __future__ import annotations

from typing import Annotated

import msgspec
from fastapi import Depends, Request

from watchkeep.agents import tokens
from watchkeep.agents.service import AgentService, forbidden_other_agent
from watchkeep.agents.tokens import AgentCredential
from watchkeep.core.auth.cookies import SESSION_COOKIE
from watchkeep.core.auth.deps import authenticate, check_access, presented_key
from watchkeep.core.auth.model import Scope
from watchkeep.core.errors import rate_limited, unauthorized
from watchkeep.core.hub import Hub, HubDep


def bearer(request: Request) -> str | None:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def is_agent_token(value: str) -> bool:
    return value.startswith((tokens.SIGNED_PREFIX, f"{tokens.TOKEN_PREFIX}_"))


def limit_agent(request: Request, hub: Hub, agent_id: str) -> None:
    request.state.agent_id = agent_id
    assert hub.limiter is not None
    wait = hub.limiter.hit("agent", f"agent:{agent_id}", hub.settings.agent_rate_limit_per_minute)
    if wait:
        raise rate_limited(wait, "Too many payloads from this agent")


async def agent_credential(request: Request, hub: HubDep) -> AgentCredential:
    token = bearer(request)
    if token is None:
        raise unauthorized("Agent token required", hint="Send Authorization: Bearer <agent token>.")
    credential = await AgentService(hub).credential_for_token(token)
    limit_agent(request, hub, credential.agent_id)
    return credential


AgentAuth = Annotated[AgentCredential, Depends(agent_credential)]


async def credential_for_agent(request: Request, hub: Hub, agent_id: str, *, allow_api_key: bool) -> AgentCredential:
    """The credential acting for the agent in the path: that agent's token, or (where
    allowed) an API key or session with the `write` scope. Another agent's token is 403."""
    token = bearer(request)
    if token is not None and is_agent_token(token):
        credential = await AgentService(hub).credential_for_token(token)
        if credential.agent_id != agent_id:
            raise forbidden_other_agent()
    elif allow_api_key:
        principal = await authenticate(request, hub)
        check_access(principal, Scope.WRITE)
        row = await AgentService(hub).get_row(agent_id)
        credential = AgentCredential(agent_id, int(row["token_generation"]))
    else:
        raise unauthorized("Agent token required", hint="Register to get a token, then send it as Bearer.")
    limit_agent(request, hub, agent_id)
    return credential


class _KeyInBody(msgspec.Struct, forbid_unknown_fields=False):
    agent_key: str = ""


_key_in_body = msgspec.json.Decoder(_KeyInBody)


async def caller_of(request: Request) -> str | None:
    """The principal a request acts as, for scoping what it stores (idempotency keys): the
    agent of an agent token or of `agent_key` in the body, else the API key or the user of
    the session. None when no credential was presented; a wrong one raises UNAUTHORIZED."""
    hub: Hub = request.app.state.hub
    token = bearer(request)
    if token is not None and is_agent_token(token):
        return f"agent:{(await AgentService(hub).credential_for_token(token)).agent_id}"
    if presented_key(request) is not None or request.cookies.get(SESSION_COOKIE):
        return (await authenticate(request, hub)).subject
    try:
        agent_key = _key_in_body.decode(await request.body()).agent_key
    except (msgspec.DecodeError, RecursionError):
        return None
    if not tokens.AGENT_KEY_PATTERN.match(agent_key):
        return None
    credential = await AgentService(hub).credential_for_key(agent_key)
    return None if credential is None else f"agent:{credential.agent_id}"


async def registration_proof(request: Request, service: AgentService, agent_key: str | None) -> AgentCredential | None:
    """What a register request offers as proof that it is an agent already registered: an
    agent token as Bearer (the enrolment key then travels in X-API-Key) or the agent's key in
    the body. A credential that is offered and wrong is UNAUTHORIZED, never ignored."""
    token = bearer(request)
    if token is not None and is_agent_token(token) and request.headers.get("x-api-key"):
        return await service.credential_for_token(token, allow_expired=True)
    if agent_key:
        credential = await service.credential_for_key(agent_key)
        if credential is None:
            raise unauthorized("Invalid agent key")
        return credential
    return None
