"""The outermost layer of every request: its id, the body size limit, the access log line,
and the last-resort INTERNAL error for anything unhandled."""

from __future__ import annotations

import logging
import re
import time
import uuid

from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from watchkeep.core.errors import ErrorCode, WatchkeepError
from watchkeep.core.http.errors import internal_error, render_error
from watchkeep.core.logging import request_id_var

log = logging.getLogger("watchkeep.access")
errors_log = logging.getLogger("watchkeep.errors")

_SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")


class BodyTooLarge(StarletteHTTPException):
    """Raised from `receive` once the body passes the limit. An HTTPException, so the
    framework's body parsing lets it through to the error handlers unchanged."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"Request body is larger than the limit of {limit} bytes")


def _request_id(scope: Scope) -> str:
    for name, value in scope.get("headers", []):
        if name == b"x-request-id":
            candidate: str = value.decode("latin-1")
            if _SANE_REQUEST_ID.match(candidate):
                return candidate
            break
    return f"req_{uuid.uuid4().hex}"


def _too_large(limit: int) -> WatchkeepError:
    return WatchkeepError(
        ErrorCode.VALIDATION_ERROR,
        f"Request body is larger than the limit of {limit} bytes",
        status=413,
        hint="Send less data per request.",
    )


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _request_id(scope)
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        path: str = scope["path"]
        status = 500
        response_started = False
        limit = self.max_body_bytes

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        try:
            declared = _content_length(scope)
            if declared is not None and declared > limit:
                await render_error(_too_large(limit), path)(scope, receive, send_with_id)
            else:
                await self.app(scope, limited_receive, send_with_id)
        except BodyTooLarge:
            if not response_started:
                await render_error(_too_large(limit), path)(scope, receive, send_with_id)
        except Exception:
            errors_log.exception("unhandled error on %s %s", scope["method"], path)
            if not response_started:
                await render_error(internal_error(), path)(scope, receive, send_with_id)
        finally:
            duration_ms = round((time.perf_counter() - started) * 1000, 2)
            log.info(
                "%s %s %s %.2fms",
                scope["method"],
                path,
                status,
                duration_ms,
                extra={
                    "method": scope["method"],
                    "path": path,
                    "status": status,
                    "durationMs": duration_ms,
                },
            )
            request_id_var.reset(token)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
