"""The outcome of one delivery attempt, and the HTTP sender every HTTP channel and webhook
uses: it connects only to addresses the URL policy checked (transport.py), never follows
redirects, never reads more of an answer than its status, logs each request redacted, and
sorts failures into transient and permanent.

What a target answered is not echoed back: a result carries the status and its reason
phrase, never the body (a probe of an internal service must not read it through the API)."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

import httpx2

from watchkeep.notify.redact import log_outbound
from watchkeep.notify.transport import PolicyTransport
from watchkeep.notify.urlpolicy import HTTP_SCHEMES, TargetRefused, TargetUnresolved, UrlPolicy, split_target

DELIVERY_HEADER = "X-Watchkeep-Delivery"
# Statuses worth retrying; any other 4xx means the request itself is wrong.
_TRANSIENT_STATUSES = frozenset({408, 409, 425, 429})

log = logging.getLogger("watchkeep.notify")


@dataclass(frozen=True)
class DeliveryResult:
    ok: bool
    error: str | None = None
    permanent: bool = False
    status_code: int | None = None
    latency_ms: int | None = None

    @classmethod
    def failed(cls, error: str, *, permanent: bool = False, status_code: int | None = None) -> DeliveryResult:
        return cls(ok=False, error=error, permanent=permanent, status_code=status_code)


def result_for_status(status_code: int, reason: str = "") -> DeliveryResult:
    if 200 <= status_code < 300:
        return DeliveryResult(ok=True, status_code=status_code)
    reason = "".join(c for c in reason if c.isprintable())[:60]
    error = f"HTTP {status_code}" + (f" {reason}" if reason else "")
    permanent = 400 <= status_code < 500 and status_code not in _TRANSIENT_STATUSES
    return DeliveryResult.failed(error, permanent=permanent, status_code=status_code)


def refused(exc: TargetRefused) -> DeliveryResult:
    """A refusal by the URL policy: permanent, except a name that did not resolve (DNS may
    answer again later)."""
    return DeliveryResult.failed(f"target refused: {exc}", permanent=not isinstance(exc, TargetUnresolved))


def header_problem(headers: dict[str, str]) -> str | None:
    """Why these headers cannot be sent as they are (a configuration error), or None."""
    for name, value in headers.items():
        if not name.isascii() or not name.isprintable() or ":" in name or not name.strip():
            return f"the header name {name!r} is not valid"
        if not value.isascii() or not value.isprintable():
            return f"the value of header {name} has control or non-ASCII characters"
    return None


class HttpSender:
    def __init__(self, policy: UrlPolicy, *, timeout: float) -> None:
        self.policy = policy
        self._client = httpx2.AsyncClient(
            timeout=timeout, follow_redirects=False, trust_env=False, transport=PolicyTransport(policy)
        )

    async def close(self) -> None:
        await self._client.aclose()

    async def post(
        self,
        url: str,
        *,
        delivery_id: str,
        json: Any = None,
        content: bytes | str | None = None,
        data: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> DeliveryResult:
        result = await self._post(url, delivery_id, json, content, data, headers or {})
        outcome = "delivered" if result.ok else (result.error or "failed")
        log_outbound("POST", url, outcome, ok=result.ok, latency_ms=result.latency_ms)
        return result

    async def _post(
        self,
        url: str,
        delivery_id: str,
        json: Any,
        content: bytes | str | None,
        data: dict[str, str] | None,
        headers: dict[str, str],
    ) -> DeliveryResult:
        try:
            split_target(url, HTTP_SCHEMES)
        except TargetRefused as exc:
            return refused(exc)
        problem = header_problem(headers)
        if problem is not None:
            return DeliveryResult.failed(problem, permanent=True)
        sent_headers = {DELIVERY_HEADER: delivery_id, "User-Agent": "watchkeep", **headers}
        started = time.perf_counter()
        try:
            request = self._client.build_request(
                "POST", url, json=json, content=content, data=data, headers=sent_headers
            )
            # Only the status is needed: the body is never read, whatever its size.
            response = await self._client.send(request, stream=True)
            await response.aclose()
        except TargetRefused as exc:
            return refused(exc)
        except httpx2.InvalidURL as exc:
            return DeliveryResult.failed(f"invalid URL: {exc}", permanent=True)
        except httpx2.HTTPError as exc:
            log.info("delivery %s: %s: %s", delivery_id, type(exc).__name__, exc)
            return DeliveryResult.failed(_short_error(exc))
        result = result_for_status(response.status_code, response.reason_phrase)
        latency = int((time.perf_counter() - started) * 1000)
        return DeliveryResult(result.ok, result.error, result.permanent, result.status_code, latency)


def _short_error(exc: httpx2.HTTPError) -> str:
    """What failed, without the library's text (it may name the address connected to)."""
    if isinstance(exc, httpx2.TimeoutException):
        return f"timed out ({type(exc).__name__})"
    if isinstance(exc, httpx2.ConnectError):
        return "could not connect (ConnectError)"
    return type(exc).__name__
