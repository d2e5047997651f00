"""The admin settings pages: users (create, change role, delete) and API keys (create, the
key shown once; revoke). Admins only, as /api/v1/users and /api/v1/keys."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from watchkeep.core.auth.model import Role, Scope
from watchkeep.core.auth.schemas import KeyCreate, KeyOut, UserCreate, UserOut, UserUpdate
from watchkeep.core.auth.service import AuthService
from watchkeep.core.errors import WatchkeepError
from watchkeep.core.hub import Hub, HubDep
from watchkeep.web.forms import FormInvalid, errors_of, form_data, validated
from watchkeep.web.responses import see_other
from watchkeep.web.session import AdminChange, AdminUser
from watchkeep.web.templating import page

router = APIRouter(include_in_schema=False)

ROLES = [role.value for role in Role]
SCOPES = [scope.value for scope in Scope]


# Users


async def _users_page(request: Request, hub: Hub, status: int = 200, **extra: Any) -> Response:
    users = [UserOut.of(row) for row in await AuthService(hub).list_users()]
    context: dict[str, Any] = {"errors": {}, "values": {"role": "viewer"}, **extra}
    return page(request, "users.html", status, users=users, roles=ROLES, **context)


@router.get("/settings/users")
async def users_page(request: Request, user: AdminUser, hub: HubDep) -> Response:
    return await _users_page(request, hub)


@router.post("/settings/users")
async def create_user(request: Request, user: AdminChange, hub: HubDep) -> Response:
    form = await form_data(request)
    fields = {key: form.get(key, "") for key in ("username", "password", "role")}
    try:
        body = validated(UserCreate, fields)
        await AuthService(hub).create_user(body.username, body.password, body.role)
    except FormInvalid as exc:
        return await _users_page(request, hub, 400, errors=exc.errors, values=form)
    except WatchkeepError as exc:
        return await _users_page(request, hub, exc.status, errors=errors_of(exc), values=form)
    return see_other("/settings/users")


@router.post("/settings/users/{user_id}/role")
async def change_role(user_id: str, request: Request, user: AdminChange, hub: HubDep) -> Response:
    form = await form_data(request)
    try:
        body = validated(UserUpdate, {"role": form.get("role", "")})
        await AuthService(hub).update_user(user_id, role=body.role)
    except FormInvalid as exc:
        return await _users_page(request, hub, 400, row_errors={user_id: exc.errors})
    except WatchkeepError as exc:
        return await _users_page(request, hub, exc.status, row_errors={user_id: errors_of(exc)})
    return see_other("/settings/users")


@router.post("/settings/users/{user_id}/delete")
async def delete_user(user_id: str, request: Request, user: AdminChange, hub: HubDep) -> Response:
    try:
        await AuthService(hub).delete_user(user_id)
    except WatchkeepError as exc:
        return await _users_page(request, hub, exc.status, row_errors={user_id: errors_of(exc)})
    return see_other("/settings/users")


# API keys


async def _keys_page(request: Request, hub: Hub, status: int = 200, **extra: Any) -> Response:
    keys = [KeyOut.of(row) for row in await AuthService(hub).list_keys()]
    context: dict[str, Any] = {"errors": {}, "values": {"scopes": ["read"]}, "created": None, **extra}
    return page(request, "keys.html", status, keys=keys, scopes=SCOPES, **context)


@router.get("/settings/keys")
async def keys_page(request: Request, user: AdminUser, hub: HubDep) -> Response:
    return await _keys_page(request, hub)


@router.post("/settings/keys")
async def create_key(request: Request, user: AdminChange, hub: HubDep) -> Response:
    form = await request.form()
    scopes = [str(value) for value in form.getlist("scopes")]
    values = {"name": str(form.get("name") or ""), "scopes": scopes}
    try:
        body = validated(KeyCreate, values)
        created = await AuthService(hub).create_key(user.user_id, body.name, body.scopes)
    except FormInvalid as exc:
        return await _keys_page(request, hub, 400, errors=exc.errors, values=values)
    except WatchkeepError as exc:
        # `scopes[1]` is the second box of the one `scopes` field here
        errors = {key.split("[")[0]: message for key, message in errors_of(exc).items()}
        return await _keys_page(request, hub, exc.status, errors=errors, values=values)
    # The key itself exists only in this answer: rendered here, never redirected to.
    return await _keys_page(request, hub, 201, created={"name": created.row["name"], "key": created.key})


@router.post("/settings/keys/{key_id}/revoke")
async def revoke_key(key_id: str, request: Request, user: AdminChange, hub: HubDep) -> Response:
    await AuthService(hub).revoke_key(key_id)
    return see_other("/settings/keys")
