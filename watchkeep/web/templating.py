"""The Jinja2 environment of the pages: templates and static files inside the package."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.responses import Response

from watchkeep import __version__
from watchkeep.core.clock import rfc3339

HERE = Path(__file__).parent
STATIC = HERE / "static"
templates = Jinja2Templates(directory=HERE / "templates")
templates.env.globals["version"] = __version__


NONE = "\N{EN DASH}"


def _percent(value: float | None) -> str:
    return NONE if value is None else f"{value:.0f}%"


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return NONE
    seconds = int(seconds)
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds // size} {unit}"
    return f"{seconds} s"


templates.env.filters["percent"] = _percent
templates.env.filters["iso"] = rfc3339
templates.env.filters["duration"] = _duration


def page(request: Request, name: str, status_code: int = 200, **context: Any) -> Response:
    principal = getattr(request.state, "principal", None)
    return templates.TemplateResponse(
        request,
        name,
        {"user": principal, "csrf": principal.csrf_token if principal else "", **context},
        status_code=status_code,
    )
