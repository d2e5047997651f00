"""How agents authenticate: a Bearer agent token (or signed token) on the native, push and
heartbeat routes, `agent_key` in the body on `/agent/report`. Each authenticated agent
spends its own rate-limit budget."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from watchkeep.agents import tokens
from watchkeep.agents.service import AgentService, forbidden_other_agent
from watchkeep.agents.tokens import AgentCredential
from watchkeep.core.auth.deps import authenticate, check_access
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
