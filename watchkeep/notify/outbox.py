"""Putting messages in the outbox, inside the caller's transaction, so a message exists
exactly when the change that caused it committed. Delivery is the worker's job."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from watchkeep.core.ids import new_id
from watchkeep.notify import repository as repo
from watchkeep.notify.message import AlertNotice
from watchkeep.notify.routing import Route, routes_for

DELIVERY_PREFIX = "dlv"


async def enqueue(
    conn: AsyncConnection,
    *,
    target_kind: str,
    target_id: str,
    event_type: str,
    payload: str,
    now_ms: int,
    dedupe_key: str | None = None,
    alert_id: str | None = None,
    delivery_id: str | None = None,
) -> str | None:
    """Add one message; returns its delivery id, or None when `dedupe_key` was taken."""
    delivery_id = delivery_id or new_id(DELIVERY_PREFIX)
    row: dict[str, Any] = {
        "id": delivery_id,
        "dedupe_key": dedupe_key,
        "target_kind": target_kind,
        "target_id": target_id,
        "event_type": event_type,
        "alert_id": alert_id,
        "payload": payload,
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": now_ms,
        "created_at": now_ms,
    }
    return delivery_id if await repo.enqueue(conn, row) else None


async def cancel_pending(conn: AsyncConnection, *, target_kind: str, target_id: str, reason: str) -> int:
    """Cancel every message still waiting for that target (deleted or disabled)."""
    return await repo.cancel_pending(conn, target_kind, target_id, reason)


async def _enqueue_notice(
    conn: AsyncConnection, notice: AlertNotice, channel_id: str, *, now_ms: int, occasion: str
) -> str | None:
    return await enqueue(
        conn,
        target_kind="channel",
        target_id=channel_id,
        event_type=f"alert.{'resolved' if notice.state == 'resolved' else 'fired'}",
        payload=json.dumps([notice.stored()]),
        now_ms=now_ms,
        dedupe_key=f"{notice.alert_id}:{channel_id}:{occasion}",
        alert_id=notice.alert_id,
    )


async def _routes(conn: AsyncConnection, notice: AlertNotice) -> list[Route]:
    channels = await repo.list_channels(conn, enabled_only=True)
    if not channels:
        return []
    rules = await repo.list_rules(conn, [c["id"] for c in channels])
    return routes_for(notice, channels, rules)


async def enqueue_alert(conn: AsyncConnection, notice: AlertNotice, *, now_ms: int, occasion: str) -> list[str]:
    """Queue `notice` for every channel its routing selects. `occasion` makes the dedupe key
    (the severity for a firing alert, so an upgrade is sent again; "resolved")."""
    queued: list[str] = []
    for route in await _routes(conn, notice):
        if notice.state == "resolved" and not route.send_resolved:
            continue
        delivery_id = await _enqueue_notice(conn, notice, route.channel_id, now_ms=now_ms, occasion=occasion)
        if delivery_id:
            queued.append(delivery_id)
    return queued


async def enqueue_repeats(conn: AsyncConnection, notice: AlertNotice, *, now_ms: int) -> list[str]:
    """Send `notice` again to each channel whose rule repeats it and whose last message
    about it is older than the interval. The key names the previous message, so replicas
    doing this at once queue it once."""
    queued: list[str] = []
    repeat = AlertNotice(**{**notice.stored(), "repeat": True})
    for route in await _routes(conn, notice):
        if not route.repeat_interval_seconds:
            continue
        last = await repo.last_enqueued_at(conn, notice.alert_id, route.channel_id)
        if last is None or now_ms - last < route.repeat_interval_seconds * 1000:
            continue
        delivery_id = await _enqueue_notice(conn, repeat, route.channel_id, now_ms=now_ms, occasion=f"repeat:{last}")
        if delivery_id:
            queued.append(delivery_id)
    return queued
