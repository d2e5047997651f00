"""The outermost layer of every request: its id, the body size limit and time limit, the
access log line, and the last-resort INTERNAL error for anything unhandled.

A client that goes away before its body is complete is not an error of the hub: it is one
INFO access line with status 499 (the code proxies use for it), no traceback. A body that
has not arrived whole within the body timeout gets 408 and the connection is closed, so a
stalled client cannot hold a connection open."""

from __future__ import annotations

import asyncio
import logging
import re
import time
import uuid

from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from watchkeep.core.errors import ErrorCode, WatchkeepError
from watchkeep.core.http.errors import internal_error, render_error
from watchkeep.core.logging import request_id_var
from watchkeep.core.metrics import RequestMetrics

log = logging.getLogger("watchkeep.access")
errors_log = logging.getLogger("watchkeep.errors")

_SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")


class BodyTooLarge(StarletteHTTPException):
    """Raised from `receive` once the body passes the limit. An HTTPException, so the
    framework's body parsing lets it through to the error handlers unchanged."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"Request body is larger than the limit of {limit} bytes")


class BodyTimeout(StarletteHTTPException):
    """Raised from `receive` once the body has taken longer than the limit."""

    def __init__(self, seconds: float) -> None:
        super().__init__(
            408, f"The request body did not arrive within {seconds:g} seconds", headers={"Connection": "close"}
        )


CLIENT_GONE = 499


class ClientGone(StarletteHTTPException):
    """Raised from `receive` when the client disconnects before its body is complete. Its
    response goes nowhere; what it leaves is the access line with status 499."""

    def __init__(self) -> None:
        super().__init__(CLIENT_GONE, "The client disconnected before sending the whole body")


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
    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int,
        body_timeout_seconds: float = 30.0,
        metrics: RequestMetrics | None = None,
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.body_timeout_seconds = body_timeout_seconds
        self.metrics = metrics

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
        declared = _content_length(scope)
        has_body = bool(declared) or any(name == b"transfer-encoding" for name, _ in scope.get("headers", []))

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                closing = any(name == b"connection" for name, _ in headers)
                if has_body and not body_done and not closing and not await drain_body():
                    headers.append((b"connection", b"close"))
                message = {**message, "headers": headers}
            await send(message)

        received = 0
        body_done = False
        timeout = self.body_timeout_seconds
        body_deadline = asyncio.get_running_loop().time() + timeout

        async def drain_body() -> bool:
            """Read and drop the rest of a body the app answered without reading (a request
            refused early), so the connection can serve the next request; False when the
            body does not arrive by the deadline or the client left: the connection is then
            closed after the answer. Closing at once instead would reset the connection under
            a client still sending, which loses the answer."""
            nonlocal body_done
            try:
                async with asyncio.timeout_at(body_deadline):
                    while not body_done:
                        message = await receive()
                        if message["type"] != "http.request":
                            return False
                        body_done = not message.get("more_body", False)
            except TimeoutError:
                return False
            return True

        async def limited_receive() -> Message:
            nonlocal received, body_done
            if body_done:  # after the body, `receive` only waits for a disconnect: no limit
                return await receive()
            try:
                async with asyncio.timeout_at(body_deadline):
                    message = await receive()
            except TimeoutError:
                raise BodyTimeout(timeout) from None
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
                body_done = not message.get("more_body", False)
            elif message["type"] == "http.disconnect":
                raise ClientGone
            return message

        try:
            if declared is not None and declared > limit:
                await render_error(_too_large(limit), path)(scope, receive, send_with_id)
            else:
                await self.app(scope, limited_receive, send_with_id)
        except BodyTooLarge:
            if not response_started:
                await render_error(_too_large(limit), path)(scope, receive, send_with_id)
        except BodyTimeout as exc:
            if not response_started:
                headers = dict(exc.headers or {})
                error = WatchkeepError(ErrorCode.VALIDATION_ERROR, str(exc.detail), status=408, headers=headers)
                await render_error(error, path)(scope, receive, send_with_id)
        except (ClientGone, ClientDisconnect):
            status = CLIENT_GONE
        except Exception:
            errors_log.exception("unhandled error on %s %s", scope["method"], path)
            if not response_started:
                await render_error(internal_error(), path)(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            if self.metrics is not None:
                self.metrics.observe(scope["method"], getattr(scope.get("route"), "path", None), status, elapsed)
            duration_ms = round(elapsed * 1000, 2)
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
