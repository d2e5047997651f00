"""What every page module shares: redirects after a post, safe `next` paths, and query
parameters read leniently (a bad page number is page 1)."""

from __future__ import annotations

from fastapi.responses import RedirectResponse


def see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def safe_next(value: str | None) -> str:
    """Only a path on this hub: never another site."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    return value


def int_param(value: str | None, default: int) -> int:
    try:
        return int(value) if value else default
    except ValueError:
        return default
