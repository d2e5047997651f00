"""Authentication and access checks as FastAPI dependencies.

`Authenticated` resolves the caller from an API key (`X-API-Key` or `Authorization:
Bearer`) or the session cookie; cookie-authenticated writes must carry the CSRF token.
`require(scope)` adds the check that the caller may do what the scope allows: an API key
lacking the scope gets FORBIDDEN_SCOPE, a user whose role is too low FORBIDDEN_ROLE. Every
authenticated API request counts against the per-caller API rate limit."""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request

from watchkeep.core.auth.cookies import CSRF_COOKIE, SESSION_COOKIE
from watchkeep.core.auth.model import ROLE_FOR_SCOPE, ROLE_RANK, Principal, Scope
from watchkeep.core.auth.service import AuthService
from watchkeep.core.errors import ErrorCode, WatchkeepError, rate_limited, unauthorized
from watchkeep.core.hub import Hub, HubDep

CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def presented_key(request: Request) -> str | None:
    key = request.headers.get("x-api-key")
    if key:
        return key.strip()
    authorization = request.headers.get("authorization", "")
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


async def authenticate(request: Request, hub: HubDep) -> Principal:
    cached: Principal | None = getattr(request.state, "principal", None)
    if cached is not None:
        return cached
    service = AuthService(hub)
    key = presented_key(request)
    if key is not None:
        principal = await service.principal_for_key(key)
    else:
        session_id = request.cookies.get(SESSION_COOKIE)
        if not session_id:
            raise unauthorized(
                "Authentication required",
                hint="Send an API key in X-API-Key or Authorization: Bearer, or log in.",
            )
        principal = await service.principal_for_session(session_id)
        if request.method not in SAFE_METHODS:
            sent = request.headers.get(CSRF_HEADER, "")
            # Compared as bytes: compare_digest refuses str with non-ASCII characters, and a
            # header is whatever the client sent.
            expected = (principal.csrf_token or "").encode()
            if not (expected and hmac.compare_digest(sent.encode(), expected)):
                raise WatchkeepError(
                    ErrorCode.FORBIDDEN_ROLE,
                    "Missing or wrong CSRF token",
                    hint=f"Send the {CSRF_COOKIE} cookie's value in the X-CSRF-Token header.",
                )
    _apply_api_rate_limit(hub, principal)
    request.state.principal = principal
    return principal


def _apply_api_rate_limit(hub: Hub, principal: Principal) -> None:
    assert hub.limiter is not None
    wait = hub.limiter.hit("api", principal.subject, hub.settings.api_rate_limit_per_minute)
    if wait:
        raise rate_limited(wait)


Authenticated = Annotated[Principal, Depends(authenticate)]


def check_access(principal: Principal, scope: Scope) -> None:
    if principal.kind == "api_key" and scope not in principal.scopes:
        raise WatchkeepError(
            ErrorCode.FORBIDDEN_SCOPE,
            f"This API key lacks the {scope.value!r} scope",
            hint=f"Create a key with the {scope.value} scope.",
        )
    needed = ROLE_FOR_SCOPE[scope]
    if ROLE_RANK[principal.role] < ROLE_RANK[needed]:
        raise WatchkeepError(
            ErrorCode.FORBIDDEN_ROLE,
            f"Your role {principal.role.value!r} may not do this; it needs {needed.value!r}",
        )


def require(scope: Scope) -> Callable[[Principal], Awaitable[Principal]]:
    async def dependency(principal: Authenticated) -> Principal:
        check_access(principal, scope)
        return principal

    return dependency


CanRead = Annotated[Principal, Depends(require(Scope.READ))]
CanWrite = Annotated[Principal, Depends(require(Scope.WRITE))]
IsAdmin = Annotated[Principal, Depends(require(Scope.ADMIN))]
CanRegisterAgents = Annotated[Principal, Depends(require(Scope.AGENTS_REGISTER))]
