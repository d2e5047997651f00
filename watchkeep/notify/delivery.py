"""The outcome of one delivery attempt, and the HTTP sender every HTTP channel and webhook
uses: it applies the URL policy to the addresses the host resolves to right before the
request, never follows redirects, and sorts failures into transient and permanent."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import httpx2

from watchkeep.notify.urlpolicy import TargetRefused, check_url

DELIVERY_HEADER = "X-Watchkeep-Delivery"
# Statuses worth retrying; any other 4xx means the request itself is wrong.
_TRANSIENT_STATUSES = frozenset({408, 409, 425, 429})


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


def result_for_status(status_code: int, body: str) -> DeliveryResult:
    if 200 <= status_code < 300:
        return DeliveryResult(ok=True, status_code=status_code)
    snippet = body.strip().replace("\n", " ")[:200]
    error = f"HTTP {status_code}" + (f": {snippet}" if snippet else "")
    permanent = 400 <= status_code < 500 and status_code not in _TRANSIENT_STATUSES
    return DeliveryResult.failed(error, permanent=permanent, status_code=status_code)


class HttpSender:
    def __init__(self, *, allow_private: bool, timeout: float) -> None:
        self.allow_private = allow_private
        self._client = httpx2.AsyncClient(timeout=timeout, follow_redirects=False)

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
        try:
            await check_url(url, allow_private=self.allow_private)
        except TargetRefused as exc:
            return DeliveryResult.failed(f"target refused: {exc}", permanent=True)
        sent_headers = {DELIVERY_HEADER: delivery_id, "User-Agent": "watchkeep", **(headers or {})}
        started = time.perf_counter()
        try:
            response = await self._client.post(url, json=json, content=content, data=data, headers=sent_headers)
        except httpx2.HTTPError as exc:
            return DeliveryResult.failed(f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)
        result = result_for_status(response.status_code, response.text)
        latency = int((time.perf_counter() - started) * 1000)
        return DeliveryResult(result.ok, result.error, result.permanent, result.status_code, latency)
