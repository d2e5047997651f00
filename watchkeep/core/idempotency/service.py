"""`Idempotency-Key` for POST routes that opt in with `@idempotent`.

The first request with a key claims it (a row), runs, and stores its 2xx response; a replay
within 24 hours gets that response back with `Idempotent-Replayed: true`. The same key with
a different body gives IDEMPOTENCY_KEY_REUSED; a replay while the first is still running gets
CONFLICT. A request that fails releases its key, so writing nothing and retrying works.
Keys are scoped to the authenticated principal (an agent, an API key, a user), not to the
credential's text: the same key from two principals is two entries."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from fastapi import Request, Response
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from watchkeep.core.errors import ErrorCode, WatchkeepError, conflict, validation_error
from watchkeep.core.hub import Hub
from watchkeep.core.idempotency import repository as repo

HEADER = "Idempotency-Key"
RETENTION_MS = 24 * 3600 * 1000
# A claim older than this whose request never finished (the hub died) may be taken over.
ABANDONED_MS = 60_000

F = TypeVar("F", bound=Callable[..., Any])


def idempotent(endpoint: F) -> F:
    """Mark a route as honouring `Idempotency-Key`."""
    endpoint.__watchkeep_idempotent__ = True  # type: ignore[attr-defined]
    return endpoint


def is_idempotent(endpoint: Callable[..., Any]) -> bool:
    return bool(getattr(endpoint, "__watchkeep_idempotent__", False))


CallerOf = Callable[[Request], Awaitable[str | None]]


async def _caller(request: Request) -> str | None:
    """Who is asking, as a stable principal name (`agent:...`, `key:...`, `user:...`), from
    the resolver the app installs; None for a caller who presented no credential. A
    credential that fails raises here, before any stored key is looked at."""
    caller_of: CallerOf | None = getattr(request.app.state, "idempotency_caller", None)
    if caller_of is None:
        return None
    return await caller_of(request)


async def run_idempotent(hub: Hub, request: Request, handler: Callable[[Request], Awaitable[Response]]) -> Response:
    key = request.headers.get(HEADER)
    if key is None:
        return await handler(request)
    if not 1 <= len(key) <= 255:
        raise validation_error("Idempotency-Key must be 1-255 characters", HEADER)
    caller = await _caller(request)
    if caller is None:
        # Nobody to scope the key to: the route refuses an anonymous caller itself, and a key
        # is never looked up for one, so nobody can probe another caller's keys.
        return await handler(request)
    namespace = "\n".join([caller, request.method, request.scope["path"], key])
    key_hash = hashlib.sha256(namespace.encode()).hexdigest()
    request_hash = hashlib.sha256(await request.body()).hexdigest()
    now = hub.clock.now_ms()

    async with hub.store.read() as conn:
        stored = await repo.get(conn, key_hash)
    if stored is not None and stored["created_at"] >= now - RETENTION_MS:
        if stored["request_hash"] != request_hash:
            raise WatchkeepError(
                ErrorCode.IDEMPOTENCY_KEY_REUSED,
                "This Idempotency-Key was used with a different request body",
                field=HEADER,
                hint="Use a new key for a new request.",
            )
        if stored["completed_at"] is not None:
            return Response(
                content=stored["body"],
                status_code=stored["status_code"],
                media_type=stored["content_type"],
                headers={"Idempotent-Replayed": "true"},
            )

    async def claim(conn: AsyncConnection) -> bool:
        # Rows past retention are older than ABANDONED_MS too, so they are taken over as well.
        return await repo.claim(conn, key_hash, request_hash, now, now - ABANDONED_MS)

    try:
        claimed = await hub.store.write(claim)
    except IntegrityError:
        claimed = False
    if not claimed:
        raise conflict("A request with this Idempotency-Key is still being processed", HEADER)

    try:
        response = await handler(request)
    except BaseException:
        await _release(hub, key_hash)
        raise
    if 200 <= response.status_code < 300 and hasattr(response, "body"):
        values = {
            "status_code": response.status_code,
            "content_type": response.media_type or response.headers.get("content-type"),
            "body": bytes(response.body),
            "completed_at": hub.clock.now_ms(),
        }

        async def complete(conn: AsyncConnection) -> None:
            await repo.complete(conn, key_hash, values)

        await hub.store.write(complete)
    else:
        await _release(hub, key_hash)
    return response


async def _release(hub: Hub, key_hash: str) -> None:
    async def release(conn: AsyncConnection) -> None:
        await repo.release(conn, key_hash)

    await hub.store.write(release)


async def delete_expired(hub: Hub) -> int:
    before = hub.clock.now_ms() - RETENTION_MS

    async def unit(conn: AsyncConnection) -> int:
        return await repo.delete_older_than(conn, before)

    return await hub.store.write(unit)
