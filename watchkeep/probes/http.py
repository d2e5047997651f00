"""HTTP(S): the request as configured, redirects followed up to the limit (each hop counted,
a loop ends there), then the status, the response time, the body and JSON-path conditions.

Endpoints may target private and loopback addresses on purpose: the hub monitors the
services next to it. The address policy of notification channels does not apply here."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import httpx2

from watchkeep.probes.base import CheckContext, CheckSpec, Outcome, elapsed_ms
from watchkeep.probes.expectations import parse_condition, parse_expected_status, status_matches
from watchkeep.probes.headers import is_secret_header

BODY_LIMIT = 1_048_576  # bytes of a body read for its conditions
_REDIRECTS = (301, 302, 303, 307, 308)


async def check(spec: CheckSpec, context: CheckContext) -> Outcome:
    settings = spec.settings
    client = context.http_client(
        verify=bool(settings.get("verify_tls", True)), ip_family=settings.get("ip_family", "any")
    )
    started = time.perf_counter()
    try:
        async with asyncio.timeout(spec.timeout_seconds):
            response, content = await _fetch(client, spec)
    except TimeoutError:
        return Outcome.down(f"timed out after {spec.timeout_seconds:g} s", elapsed_ms(started))
    except httpx2.TimeoutException:
        return Outcome.down(f"timed out after {spec.timeout_seconds:g} s", elapsed_ms(started))
    except _TooManyRedirects as exc:
        return Outcome.down(str(exc), elapsed_ms(started), exc.status)
    except httpx2.ConnectError as exc:
        return Outcome.down(f"cannot connect: {_reason(exc)}", elapsed_ms(started))
    except httpx2.HTTPError as exc:
        return Outcome.down(f"{type(exc).__name__}: {_reason(exc)}", elapsed_ms(started))
    took = elapsed_ms(started)
    return _judge(settings, response.status_code, content, response, took)


class _TooManyRedirects(Exception):
    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


async def _fetch(client: httpx2.AsyncClient, spec: CheckSpec) -> tuple[httpx2.Response, bytes]:
    settings = spec.settings
    method = str(settings.get("method", "GET"))
    headers: dict[str, str] = dict(settings.get("headers") or {})
    body = settings.get("body")
    content = body.encode() if isinstance(body, str) and body else None
    max_redirects = int(settings.get("max_redirects", 5))
    url = httpx2.URL(spec.target)
    for hop in range(max_redirects + 1):
        request = client.build_request(method, url, headers=headers, content=content, timeout=spec.timeout_seconds)
        response = await client.send(request, stream=True)
        try:
            location = response.headers.get("location")
            if response.status_code in _REDIRECTS and location and max_redirects > 0:
                if hop == max_redirects:
                    raise _TooManyRedirects(
                        f"too many redirects (more than {max_redirects}); the last went to {location}",
                        response.status_code,
                    )
                following = url.join(location)
                if (following.scheme, following.host, following.port) != (url.scheme, url.host, url.port):
                    headers = {k: v for k, v in headers.items() if not is_secret_header(k)}
                if response.status_code == 303 or (response.status_code in (301, 302) and method == "POST"):
                    method, content = "GET", None
                url = following
                continue
            return response, await _read(response)
        finally:
            await response.aclose()
    raise AssertionError("unreachable")  # the loop returns or raises on its last hop


async def _read(response: httpx2.Response) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        chunks.append(chunk)
        size += len(chunk)
        if size >= BODY_LIMIT:
            break
    return b"".join(chunks)[:BODY_LIMIT]


def _judge(settings: dict[str, Any], status: int, content: bytes, response: httpx2.Response, took: float) -> Outcome:
    expected = str(settings.get("expected_status") or "2xx")
    if not status_matches(status, parse_expected_status(expected)):
        return Outcome.down(f"HTTP {status} (expected {expected})", took, status)
    limit = settings.get("max_response_ms")
    if limit is not None and took > float(limit):
        return Outcome.down(f"responded in {took:.0f} ms, above the limit of {limit} ms", took, status)
    needle = settings.get("body_contains")
    if needle:
        text = content.decode(response.encoding or "utf-8", errors="replace")
        if needle not in text:
            return Outcome.down(f"the body does not contain {_quoted(needle)}", took, status)
    conditions = settings.get("json_path") or []
    if conditions:
        try:
            document = json.loads(content)
        except ValueError:
            return Outcome.down("the body is not JSON, so its JSON-path conditions cannot hold", took, status)
        for text in conditions:
            condition = parse_condition(text)
            holds, found = condition.holds(document)
            if not holds:
                return Outcome.down(f"{condition.text} does not hold (found {found})", took, status)
    return Outcome(True, took, status)


def _quoted(text: str) -> str:
    return json.dumps(text if len(text) <= 60 else text[:57] + "...")


def _reason(exc: Exception) -> str:
    text = str(exc).strip()
    return text or type(exc).__name__
