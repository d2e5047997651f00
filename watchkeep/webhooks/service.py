"""Webhook subscriptions: CRUD, turning bus events into signed deliveries in the outbox,
and the deliverer that signs each attempt and disables a subscription after too many
failures in a row."""

from __future__ import annotations

import json
import logging
import secrets
from typing import Any

from pydantic.alias_generators import to_camel
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from watchkeep.core.clock import rfc3339
from watchkeep.core.errors import not_found, validation_error
from watchkeep.core.events import Event, WebhookDisabled
from watchkeep.core.hub import Hub
from watchkeep.core.ids import new_id
from watchkeep.notify import outbox
from watchkeep.notify import repository as outbox_repo
from watchkeep.notify.delivery import DeliveryResult, HttpSender
from watchkeep.notify.urlpolicy import validate_url
from watchkeep.webhooks import repository as repo
from watchkeep.webhooks.schemas import WebhookIn
from watchkeep.webhooks.signing import signed_headers
from watchkeep.webhooks.subscriptions import forget_subscriptions, subscriptions_for

log = logging.getLogger("watchkeep.webhooks")

TEST_EVENT = "webhook.test"


def known_event_types() -> set[str]:
    found: set[str] = {TEST_EVENT}
    pending: list[type[Event]] = [Event]
    while pending:
        cls = pending.pop()
        for sub in cls.__subclasses__():
            found.add(sub.type)
            pending.append(sub)
    found.discard(Event.type)
    return found


def camel(value: Any) -> Any:
    if isinstance(value, dict):
        return {to_camel(str(k)): camel(v) for k, v in value.items()}
    if isinstance(value, list):
        return [camel(v) for v in value]
    return value


def body_for(delivery_id: str, event_type: str, at_ms: int, data: dict[str, Any]) -> str:
    return json.dumps(
        {"id": delivery_id, "type": event_type, "timestamp": rfc3339(at_ms), "data": camel(data)},
        separators=(",", ":"),
    )


class WebhookService:
    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.store = hub.store

    async def _check(self, body: WebhookIn) -> None:
        known = known_event_types()
        for index, name in enumerate(body.event_types):
            if name != "*" and name not in known:
                raise validation_error(f"unknown event type {name!r}", f"eventTypes[{index}]")
        await validate_url(body.url, "url", allow_private=self.hub.settings.allow_private_targets)

    async def create(self, body: WebhookIn) -> RowMapping:
        await self._check(body)
        now = self.hub.clock.now_ms()
        webhook_id = new_id("whk")
        row = {
            "id": webhook_id,
            "name": body.name,
            "url": body.url,
            "secret": body.secret or f"whsec_{secrets.token_urlsafe(32)}",
            "event_types": json.dumps(body.event_types),
            "enabled": body.enabled,
            "consecutive_failures": 0,
            "created_at": now,
            "updated_at": now,
        }

        async def unit(conn: AsyncConnection) -> RowMapping:
            await repo.insert_webhook(conn, row)
            created = await repo.webhook_by_id(conn, webhook_id)
            assert created is not None
            return created

        try:
            return await self.store.write(unit)
        finally:
            forget_subscriptions(self.hub)

    async def update(self, webhook_id: str, body: WebhookIn) -> RowMapping:
        await self._check(body)
        values: dict[str, Any] = {
            "name": body.name,
            "url": body.url,
            "event_types": json.dumps(body.event_types),
            "enabled": body.enabled,
            "updated_at": self.hub.clock.now_ms(),
        }
        if body.secret:
            values["secret"] = body.secret
        if body.enabled:
            values.update(consecutive_failures=0, disabled_at=None)

        async def unit(conn: AsyncConnection) -> RowMapping:
            if not await repo.update_webhook(conn, webhook_id, values):
                raise not_found("webhook", webhook_id)
            updated = await repo.webhook_by_id(conn, webhook_id)
            assert updated is not None
            return updated

        try:
            return await self.store.write(unit)
        finally:
            forget_subscriptions(self.hub)

    async def delete(self, webhook_id: str) -> None:
        async def unit(conn: AsyncConnection) -> None:
            if not await repo.delete_webhook(conn, webhook_id):
                raise not_found("webhook", webhook_id)
            await outbox_repo.cancel_pending(conn, "webhook", webhook_id, "webhook deleted")

        try:
            await self.store.write(unit)
        finally:
            forget_subscriptions(self.hub)

    async def get(self, webhook_id: str) -> RowMapping:
        async with self.store.read() as conn:
            row = await repo.webhook_by_id(conn, webhook_id)
        if row is None:
            raise not_found("webhook", webhook_id)
        return row

    async def all(self) -> list[RowMapping]:
        async with self.store.read() as conn:
            return await repo.list_webhooks(conn)

    async def deliveries(self, webhook_id: str, limit: int) -> list[RowMapping]:
        await self.get(webhook_id)
        async with self.store.read() as conn:
            return await outbox_repo.list_deliveries(conn, "webhook", webhook_id, limit)

    async def enqueue_test(self, webhook_id: str) -> str:
        await self.get(webhook_id)
        now = self.hub.clock.now_ms()
        delivery_id = new_id(outbox.DELIVERY_PREFIX)
        data = {"message": "This is a test delivery from watchkeep.", "webhookId": webhook_id}

        async def unit(conn: AsyncConnection) -> None:
            await outbox.enqueue(
                conn,
                target_kind="webhook",
                target_id=webhook_id,
                event_type=TEST_EVENT,
                payload=body_for(delivery_id, TEST_EVENT, now, data),
                now_ms=now,
                delivery_id=delivery_id,
            )

        await self.store.write(unit)
        return delivery_id

    async def on_event(self, event: Event) -> None:
        """Queue `event` for every enabled subscription that asked for its type."""
        targets = await subscriptions_for(self.hub, event.type)
        if not targets:
            return
        now = self.hub.clock.now_ms()
        data = event.data()

        async def unit(conn: AsyncConnection) -> None:
            for webhook in targets:
                delivery_id = new_id(outbox.DELIVERY_PREFIX)
                await outbox.enqueue(
                    conn,
                    target_kind="webhook",
                    target_id=webhook["id"],
                    event_type=event.type,
                    payload=body_for(delivery_id, event.type, event.at_ms, data),
                    now_ms=now,
                    delivery_id=delivery_id,
                )

        await self.store.write(unit)


class WebhookDeliverer:
    """Delivers `webhook` outbox rows, signed at each attempt."""

    def __init__(self, hub: Hub, http: HttpSender) -> None:
        self.hub = hub
        self.http = http

    async def deliver(self, row: RowMapping) -> DeliveryResult:
        async with self.hub.store.read() as conn:
            webhook = await repo.webhook_by_id(conn, row["target_id"])
        if webhook is None:
            return DeliveryResult.failed("the webhook was deleted", permanent=True)
        if not webhook["enabled"]:
            return DeliveryResult.failed("the webhook is disabled", permanent=True)
        body = row["payload"].encode()
        timestamp = self.hub.clock.now_ms() // 1000
        headers = signed_headers(webhook["secret"], row["event_type"], timestamp, body)
        return await self.http.post(webhook["url"], delivery_id=row["id"], content=body, headers=headers)

    async def settled(self, row: RowMapping, result: DeliveryResult, final: bool) -> None:
        webhook_id = row["target_id"]
        limit = self.hub.settings.webhook_max_failures
        now = self.hub.clock.now_ms()
        error = result.error or "delivery failed"

        async def unit(conn: AsyncConnection) -> int | None:
            if result.ok:
                await repo.record_success(conn, webhook_id)
                return None
            failures = await repo.record_failure(conn, webhook_id, error)
            if failures is not None and failures >= limit and await repo.disable(conn, webhook_id, now):
                await outbox_repo.cancel_pending(conn, "webhook", webhook_id, "webhook disabled")
                return failures
            return None

        disabled_after = await self.hub.store.write(unit)
        if disabled_after is not None:
            forget_subscriptions(self.hub)
            log.warning("webhook %s disabled after %d failed deliveries in a row", webhook_id, disabled_after)
            await self.hub.bus.publish(
                WebhookDisabled(webhook_id=webhook_id, consecutive_failures=disabled_after, last_error=error, at_ms=now)
            )
