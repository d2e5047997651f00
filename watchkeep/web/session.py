"""Who is looking at a page: the session cookie's user, or a redirect to the login page.
Forms and htmx requests that change something carry the session's CSRF token."""

from __future__ import annotations

import hmac
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request

from watchkeep.core.auth.cookies import SESSION_COOKIE
from watchkeep.core.auth.deps import CSRF_HEADER
from watchkeep.core.auth.model import ROLE_RANK, Principal, Role
from watchkeep.core.auth.service import AuthService
from watchkeep.core.errors import ErrorCode, WatchkeepError
from watchkeep.core.hub import HubDep


class LoginRequired(Exception):
    """Raised by a page for a visitor without a valid session; answered with a redirect."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


def login_url(next_path: str) -> str:
    return "/login" if next_path in ("", "/") else f"/login?next={quote(next_path, safe='/')}"


async def signed_in(request: Request, hub: HubDep) -> Principal | None:
    session_id = request.cookies.get(SESSION_COOKIE)
    if not session_id:
        return None
    try:
        return await AuthService(hub).principal_for_session(session_id)
    except WatchkeepError:
        return None


async def current_user(request: Request, hub: HubDep) -> Principal:
    principal = await signed_in(request, hub)
    if principal is None:
        # From the scope: a query string that is not UTF-8 must not fail the redirect.
        query = request.scope["query_string"].decode("utf-8", "replace")
        path = request.scope["path"] + (f"?{query}" if query else "")
        raise LoginRequired(path)
    request.state.principal = principal
    return principal


User = Annotated[Principal, Depends(current_user)]


def check_csrf(request: Request, principal: Principal, form_token: str | None) -> None:
    """A change made from a page must carry the session's CSRF token (header or form field)."""
    sent = request.headers.get(CSRF_HEADER) or form_token or ""
    expected = principal.csrf_token or ""
    if not (expected and hmac.compare_digest(sent.encode(), expected.encode())):
        raise WatchkeepError(ErrorCode.FORBIDDEN_ROLE, "Missing or wrong CSRF token; reload the page")


def may(principal: Principal, role: Role) -> bool:
    return ROLE_RANK[principal.role] >= ROLE_RANK[role]


def _require(principal: Principal, role: Role) -> Principal:
    if not may(principal, role):
        raise WatchkeepError(ErrorCode.FORBIDDEN_ROLE, f"Your role may not do this; it needs {role.value!r}")
    return principal


async def _admin_user(user: User) -> Principal:
    return _require(user, Role.ADMIN)


# A page only an admin may see
AdminUser = Annotated[Principal, Depends(_admin_user)]


async def _any_change(request: Request, user: User) -> Principal:
    """A signed-in user posting a change: its form (or header) carries the session's CSRF
    token. Every page route that changes something takes one of the `...Change` users."""
    token = (await request.form()).get("csrf")
    check_csrf(request, user, token if isinstance(token, str) else None)
    return user


AnyChange = Annotated[Principal, Depends(_any_change)]


async def _editor_change(user: AnyChange) -> Principal:
    return _require(user, Role.EDITOR)


async def _admin_change(user: AnyChange) -> Principal:
    return _require(user, Role.ADMIN)


EditorChange = Annotated[Principal, Depends(_editor_change)]
AdminChange = Annotated[Principal, Depends(_admin_change)]
