"""Render every failure in the envelope of its route family.

- `/api/metrics/**`, `/api/agent/**` and `/agent/**` (the agent contracts): the flat body
  `{code, message, field, hint, requestId}` with upper-case codes;
- everything else: `{"error": {code, message, field, hint, requestId}}` with lower-case codes.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from watchkeep.core.errors import ErrorCode, WatchkeepError
from watchkeep.core.logging import request_id_var

log = logging.getLogger("watchkeep.errors")

FLAT_PREFIXES = ("/api/metrics/", "/api/agent/", "/agent/")


def is_flat_family(path: str) -> bool:
    return path.startswith(FLAT_PREFIXES) or path in ("/api/metrics", "/api/agent", "/agent")


def error_body(error: WatchkeepError, path: str) -> dict[str, Any]:
    body: dict[str, Any] = {
        "code": error.code.value,
        "message": error.message,
        "field": error.field,
        "hint": error.hint,
        "requestId": request_id_var.get(),
    }
    body.update(error.extra)
    if is_flat_family(path):
        return body
    body["code"] = error.code.value.lower()
    return {"error": body}


def render_error(error: WatchkeepError, path: str) -> Response:
    return JSONResponse(error_body(error, path), status_code=error.status, headers=error.headers)


def field_path(loc: Sequence[int | str]) -> str | None:
    """`("body", "services", 2, "containerName")` → `services[2].containerName`."""
    parts = list(loc)
    if parts and parts[0] in ("body", "query", "path", "header", "cookie"):
        parts = parts[1:]
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or None


def from_validation_errors(errors: Sequence[Any], *, status: int | None = None) -> WatchkeepError:
    """One VALIDATION_ERROR for a list of pydantic errors: the first names `field`; all are
    listed under `errors`."""
    items: list[dict[str, Any]] = []
    for err in errors:
        kind = err.get("type", "")
        if kind == "json_invalid":
            detail = (err.get("ctx") or {}).get("error", "invalid JSON")
            items.append({"field": None, "message": f"Malformed JSON body: {detail}"})
            continue
        field = field_path(err.get("loc", ()))
        message = str(err.get("msg", "Invalid value"))
        if kind == "missing":
            message = "Field required"
        elif kind == "extra_forbidden":
            message = "Unknown field"
        items.append({"field": field, "message": f"{field}: {message}" if field else message})
    first: dict[str, Any] = items[0] if items else {"field": None, "message": "Invalid request"}
    return WatchkeepError(
        ErrorCode.VALIDATION_ERROR,
        first["message"],
        field=first["field"],
        status=status,
        extra={"errors": items} if len(items) > 1 else None,
    )


_HTTP_STATUS_CODES: dict[int, ErrorCode] = {
    400: ErrorCode.VALIDATION_ERROR,
    401: ErrorCode.UNAUTHORIZED,
    403: ErrorCode.FORBIDDEN_ROLE,
    404: ErrorCode.NOT_FOUND,
    409: ErrorCode.CONFLICT,
    429: ErrorCode.RATE_LIMITED,
    503: ErrorCode.SERVICE_UNAVAILABLE,
}


def _from_http_exception(exc: StarletteHTTPException, request: Request) -> WatchkeepError:
    headers = dict(exc.headers or {})
    if exc.status_code == 404:
        return WatchkeepError(ErrorCode.NOT_FOUND, f"No route for {request.scope['path']}", headers=headers)
    if exc.status_code == 405:
        headers["Allow"] = ", ".join(allowed_methods(request))
        return WatchkeepError(
            ErrorCode.VALIDATION_ERROR,
            f"Method {request.method} is not allowed on {request.scope['path']}",
            status=405,
            headers=headers,
        )
    if exc.status_code in (408, 499):
        return WatchkeepError(ErrorCode.VALIDATION_ERROR, str(exc.detail), status=exc.status_code, headers=headers)
    if exc.status_code == 413:
        return WatchkeepError(
            ErrorCode.VALIDATION_ERROR,
            str(exc.detail),
            status=413,
            hint="Send less data per request.",
            headers=headers,
        )
    code = _HTTP_STATUS_CODES.get(exc.status_code, ErrorCode.VALIDATION_ERROR)
    detail = exc.detail if isinstance(exc.detail, str) else json.dumps(exc.detail)
    return WatchkeepError(code, detail, status=exc.status_code, headers=headers)


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def allowed_methods(request: Request) -> list[str]:
    """Every method some route serves on this path. The route that refused the method knows
    only its own; the path may be served by routes in several routers."""
    routes = request.app.router.routes
    allowed = []
    for method in _METHODS:
        probe = {**request.scope, "method": method}
        if any(route.matches(probe)[0] is Match.FULL for route in routes):
            allowed.append(method)
    return allowed


def _json_body_sent_as_something_else(request: Request, errors: Sequence[Any]) -> bool:
    """A body that never reached the JSON parser (curl -d sends a form content type)."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "application/json" or content_type.endswith("+json"):
        return False
    return any(tuple(err.get("loc", ())) == ("body",) for err in errors)


def internal_error() -> WatchkeepError:
    """What a client sees of a bug: a code and the request id, never the exception text."""
    return WatchkeepError(ErrorCode.INTERNAL, "Internal server error", hint="Quote the requestId when reporting this.")


def install_error_handlers(app: FastAPI) -> None:
    async def on_watchkeep_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, WatchkeepError)
        return render_error(exc, request.scope["path"])

    async def on_validation_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        if _json_body_sent_as_something_else(request, exc.errors()):
            error = WatchkeepError(
                ErrorCode.VALIDATION_ERROR,
                "The request body must be a JSON object",
                hint="Send it with the header Content-Type: application/json.",
            )
            return render_error(error, request.scope["path"])
        return render_error(from_validation_errors(exc.errors()), request.scope["path"])

    async def on_http_exception(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        return render_error(_from_http_exception(exc, request), request.scope["path"])

    app.add_exception_handler(WatchkeepError, on_watchkeep_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(StarletteHTTPException, on_http_exception)
