"""The delivery loop. Each step composes digests for flooded channels, claims due messages,
sends them, and records each outcome: delivered, retried later with exponential backoff,
or failed for good. Any replica may run it; claims keep them from sending a message twice."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Protocol

from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from watchkeep.core.hub import Hub
from watchkeep.core.ids import new_id
from watchkeep.notify import repository as repo
from watchkeep.notify.delivery import DeliveryResult
from watchkeep.notify.outbox import DELIVERY_PREFIX

log = logging.getLogger("watchkeep.notify")

BATCH = 50
DIGEST_LIMIT = 200


class Deliverer(Protocol):
    """Sends one kind of outbox row (`channel`, `webhook`)."""

    async def deliver(self, row: RowMapping) -> DeliveryResult: ...

    async def settled(self, row: RowMapping, result: DeliveryResult, final: bool) -> None: ...


def backoff_ms(attempts: int, base_seconds: int, max_seconds: int) -> int:
    """Wait after the `attempts`-th failed attempt: base, 2*base, 4*base, ... up to max."""
    wait: int = min(max_seconds, base_seconds * 2 ** max(0, attempts - 1))
    return wait * 1000


class OutboxWorker:
    def __init__(self, hub: Hub, deliverers: dict[str, Deliverer]) -> None:
        self.hub = hub
        self.deliverers = deliverers
        self.worker_id = new_id("wrk")

    async def step(self) -> bool:
        await self.compose_digests()
        settings = self.hub.settings
        now = self.hub.clock.now_ms()

        async def claim(conn: AsyncConnection) -> list[RowMapping]:
            return await repo.claim_due(
                conn, now_ms=now, lease_ms=settings.outbox_lease_seconds * 1000, worker=self.worker_id, limit=BATCH
            )

        rows = await self.hub.store.write(claim)
        if rows:
            await asyncio.gather(*(self._attempt(row) for row in rows))
        return len(rows) == BATCH

    async def deliver_now(self, delivery_id: str) -> RowMapping | None:
        """Attempt one due message at once (a test send) and return its row afterwards."""
        settings = self.hub.settings
        now = self.hub.clock.now_ms()

        async def claim(conn: AsyncConnection) -> RowMapping | None:
            lease = settings.outbox_lease_seconds * 1000
            return await repo.claim_one(conn, delivery_id, now_ms=now, lease_ms=lease, worker=self.worker_id)

        row = await self.hub.store.write(claim)
        if row is not None:
            await self._attempt(row)
        async with self.hub.store.read() as conn:
            return await repo.delivery_by_id(conn, delivery_id)

    async def compose_digests(self) -> int:
        """Flood control, per channel: many alert messages due at once go out as one digest;
        while a channel already got `digest_threshold` messages within the window, new ones
        are held until the window moves on, and then go out together as a digest."""
        settings = self.hub.settings
        threshold, window_ms = settings.digest_threshold, settings.digest_window_seconds * 1000
        now = self.hub.clock.now_ms()

        async def compose(conn: AsyncConnection) -> int:
            made = 0
            for channel_id in await repo.channels_with_due_alerts(conn, now):
                rows = await repo.lock_due_alert_rows(conn, channel_id, now, DIGEST_LIMIT)
                if not rows:
                    continue
                # A never-attempted row due later than it was queued was held back for a flood.
                held = any(r["next_attempt_at"] > r["created_at"] for r in rows)
                if len(rows) >= threshold or (held and len(rows) > 1):
                    await self._digest(conn, channel_id, rows, now)
                    made += 1
                    continue
                recent = await repo.recent_sends(conn, channel_id, now - window_ms)
                if len(recent) >= threshold:
                    await repo.defer(conn, [r["id"] for r in rows], min(recent) + window_ms)
            return made

        return await self.hub.store.write(compose)

    async def _digest(self, conn: AsyncConnection, channel_id: str, rows: list[RowMapping], now: int) -> None:
        digest_id = new_id(DELIVERY_PREFIX)
        notices = [notice for row in rows for notice in json.loads(row["payload"])]
        await repo.mark_digested(conn, [r["id"] for r in rows], digest_id)
        await repo.enqueue(
            conn,
            {
                "id": digest_id,
                "dedupe_key": None,
                "target_kind": "channel",
                "target_id": channel_id,
                "event_type": "alert.digest",
                "payload": json.dumps(notices),
                "status": "pending",
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
            },
        )

    async def _attempt(self, row: RowMapping) -> None:
        settings = self.hub.settings
        deliverer = self.deliverers.get(row["target_kind"])
        try:
            if deliverer is None:
                result = DeliveryResult.failed(f"nothing delivers {row['target_kind']!r} messages", permanent=True)
            else:
                result = await deliverer.deliver(row)
        except Exception as exc:
            log.exception("delivery %s raised", row["id"])
            result = DeliveryResult.failed(f"internal error: {type(exc).__name__}")
        now = self.hub.clock.now_ms()
        final = result.ok or result.permanent or row["attempts"] >= settings.outbox_max_attempts
        if result.ok:
            values = {"status": "delivered", "delivered_at": now, "latency_ms": result.latency_ms, "last_error": None}
        elif final:
            values = {"status": "failed", "last_error": result.error, "latency_ms": result.latency_ms}
        else:
            wait = backoff_ms(row["attempts"], settings.outbox_backoff_seconds, settings.outbox_backoff_max_seconds)
            values = {
                "status": "pending",
                "next_attempt_at": now + wait,
                "last_error": result.error,
                "latency_ms": result.latency_ms,
            }

        async def settle(conn: AsyncConnection) -> bool:
            return await repo.settle(conn, row["id"], self.worker_id, values)

        if not await self.hub.store.write(settle):
            log.warning("delivery %s was taken over by another worker before it settled", row["id"])
            return
        if deliverer is not None:
            try:
                await deliverer.settled(row, result, final)
            except Exception:
                log.exception("recording the outcome of delivery %s failed", row["id"])
