"""The session cookies login sets and logout clears, for the API and the web UI alike:
the session id (HttpOnly) and the CSRF token a page sends back in `X-CSRF-Token`."""

from __future__ import annotations

from fastapi import Request, Response

from watchkeep.core.config import Settings
from watchkeep.core.http.client import is_https

SESSION_COOKIE = "watchkeep_session"
CSRF_COOKIE = "watchkeep_csrf"


def set_session(response: Response, request: Request, settings: Settings, session_id: str, csrf: str) -> None:
    secure = is_https(request, settings.trusted_proxies, settings.base_url)
    max_age = settings.session_ttl_seconds
    response.set_cookie(
        SESSION_COOKIE, session_id, max_age=max_age, httponly=True, samesite="lax", secure=secure, path="/"
    )
    response.set_cookie(CSRF_COOKIE, csrf, max_age=max_age, httponly=False, samesite="lax", secure=secure, path="/")


def clear_session(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(CSRF_COOKIE, path="/")
