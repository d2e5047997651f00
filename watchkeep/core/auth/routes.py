"""Login, logout, the current user, and the admin routes for users and API keys."""

from __future__ import annotations

from fastapi import Depends, Request, Response

from watchkeep.core.auth.cookies import SESSION_COOKIE, clear_session, set_session
from watchkeep.core.auth.deps import Authenticated, IsAdmin
from watchkeep.core.auth.schemas import (
    KeyCreate,
    KeyCreated,
    KeyOut,
    LoginOut,
    LoginRequest,
    MeOut,
    UserCreate,
    UserOut,
    UserUpdate,
)
from watchkeep.core.auth.service import AuthService
from watchkeep.core.clock import rfc3339
from watchkeep.core.http.client import client_address
from watchkeep.core.http.ratelimit import RateLimit
from watchkeep.core.http.routing import make_router
from watchkeep.core.hub import HubDep
from watchkeep.core.idempotency.service import idempotent

router = make_router(prefix="/api/v1", tags=["auth"])


@router.post(
    "/auth/login",
    response_model=LoginOut,
    dependencies=[Depends(RateLimit("login", lambda s: s.login_rate_limit_per_minute, by="client"))],
)
async def login(body: LoginRequest, request: Request, response: Response, hub: HubDep) -> LoginOut:
    client = client_address(request, hub.settings.trusted_proxies)
    user, session_id, csrf = await AuthService(hub).login(body.username, body.password, client)
    set_session(response, request, hub.settings, session_id, csrf)
    return LoginOut(**UserOut.of(user).model_dump(), csrf_token=csrf)


@router.post("/auth/logout", status_code=204)
async def logout(request: Request, principal: Authenticated, hub: HubDep) -> Response:
    session_id = request.cookies.get(SESSION_COOKIE)
    if principal.kind == "session" and session_id:
        await AuthService(hub).logout(session_id)
    response = Response(status_code=204)
    clear_session(response)
    return response


@router.get("/me", response_model=MeOut)
async def me(principal: Authenticated, hub: HubDep) -> MeOut:
    user = await AuthService(hub).get_user(principal.user_id)
    return MeOut(
        **UserOut.of(user).model_dump(),
        auth=principal.kind,
        scopes=sorted(s.value for s in principal.scopes),
        key_id=principal.key_id,
    )


@router.get("/users", response_model=list[UserOut])
async def list_users(_: IsAdmin, hub: HubDep) -> list[UserOut]:
    return [UserOut.of(row) for row in await AuthService(hub).list_users()]


@router.post("/users", response_model=UserOut, status_code=201)
@idempotent
async def create_user(body: UserCreate, _: IsAdmin, hub: HubDep) -> UserOut:
    row = await AuthService(hub).create_user(body.username, body.password, body.role)
    return UserOut.of(row)


@router.get("/users/{user_id}", response_model=UserOut)
async def get_user(user_id: str, _: IsAdmin, hub: HubDep) -> UserOut:
    return UserOut.of(await AuthService(hub).get_user(user_id))


@router.patch("/users/{user_id}", response_model=UserOut)
async def update_user(user_id: str, body: UserUpdate, _: IsAdmin, hub: HubDep) -> UserOut:
    row = await AuthService(hub).update_user(user_id, role=body.role, password=body.password)
    return UserOut.of(row)


@router.delete("/users/{user_id}", status_code=204)
async def delete_user(user_id: str, _: IsAdmin, hub: HubDep) -> Response:
    await AuthService(hub).delete_user(user_id)
    return Response(status_code=204)


@router.get("/keys", response_model=list[KeyOut])
async def list_keys(_: IsAdmin, hub: HubDep) -> list[KeyOut]:
    return [KeyOut.of(row) for row in await AuthService(hub).list_keys()]


@router.post("/keys", response_model=KeyCreated, status_code=201)
@idempotent
async def create_key(body: KeyCreate, principal: IsAdmin, hub: HubDep) -> KeyCreated:
    created = await AuthService(hub).create_key(principal.user_id, body.name, body.scopes)
    return KeyCreated(
        id=created.row["id"],
        name=created.row["name"],
        scopes=KeyOut.of(created.row).scopes,
        key=created.key,
        created_at=rfc3339(created.row["created_at"]),
    )


@router.delete("/keys/{key_id}", status_code=204)
async def revoke_key(key_id: str, _: IsAdmin, hub: HubDep) -> Response:
    await AuthService(hub).revoke_key(key_id)
    return Response(status_code=204)
