"""Webhook subscriptions: CRUD, the event log consumer that turns logged events into
deliveries in the outbox, and the deliverer that signs each attempt and disables a
subscription after too many failures in a row."""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
from collections.abc import Mapping
from typing import Any

from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from watchkeep.core.errors import not_found, validation_error
from watchkeep.core.events import Event, WebhookDisabled, envelope
from watchkeep.core.events.log import append
from watchkeep.core.hub import Hub
from watchkeep.core.ids import new_id
from watchkeep.core.masking import kept, looks_masked, mask_url_credentials
from watchkeep.notify import outbox
from watchkeep.notify.delivery import DeliveryResult, HttpSender
from watchkeep.notify.service import OutboxService
from watchkeep.notify.urlpolicy import policy_for
from watchkeep.webhooks import repository as repo
from watchkeep.webhooks.schemas import WebhookIn
from watchkeep.webhooks.signing import signed_headers
from watchkeep.webhooks.subscriptions import forget_subscriptions, subscriptions_for

log = logging.getLogger("watchkeep.webhooks")

TEST_EVENT = "webhook.test"


def known_event_types() -> set[str]:
    """What a subscription may ask for: every logged event type (live-only ones are streamed,
    never delivered), and the test delivery."""
    return {TEST_EVENT, *(name for name, cls in Event.types().items() if cls.logged)}


def body_for(delivery_id: str, event_type: str, at_ms: int, data: dict[str, Any]) -> str:
    return json.dumps(envelope(delivery_id, event_type, at_ms, data), separators=(",", ":"))


def delivery_id_for(event_id: int, webhook_id: str) -> str:
    """The same id every time one event is delivered to one subscription: a replayed event
    is queued once, and a receiver can deduplicate retries by it."""
    digest = hashlib.sha256(f"{event_id}:{webhook_id}".encode()).hexdigest()[:24]
    return f"{outbox.DELIVERY_PREFIX}_{digest}"


Webhook = Mapping[str, Any]
"""A subscription row with its URL and signing secret decrypted (the table keeps them sealed)."""


def opened(hub: Hub, row: RowMapping) -> Webhook:
    return {**row, "url": hub.secrets.open(row["url"]), "secret": hub.secrets.open(row["secret"])}


async def check_webhook(hub: Hub, body: WebhookIn, url: str) -> None:
    """What the API refuses in a subscription besides its model: unknown or live-only event
    types, and a URL the outbound policy refuses."""
    known = known_event_types()
    for index, name in enumerate(body.event_types):
        cls = Event.types().get(name)
        if cls is not None and not cls.logged:
            raise validation_error(
                f"{name} is a live-only event: it is streamed (GET /api/v1/events), not delivered to webhooks",
                f"eventTypes[{index}]",
            )
        if name != "*" and name not in known:
            raise validation_error(f"unknown event type {name!r}", f"eventTypes[{index}]")
    await policy_for(hub).validate_url(url, "url")


class WebhookService:
    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.store = hub.store

    async def _check(self, body: WebhookIn, url: str) -> None:
        await check_webhook(self.hub, body, url)

    async def create(self, body: WebhookIn) -> Webhook:
        if looks_masked(body.url):
            raise validation_error("url: send the URL itself, not a masked one", "url")
        await self._check(body, body.url)
        now = self.hub.clock.now_ms()
        webhook_id = new_id("whk")
        row = {
            "id": webhook_id,
            "name": body.name,
            "url": self.hub.secrets.seal(body.url),
            "secret": self.hub.secrets.seal(body.secret or f"whsec_{secrets.token_urlsafe(32)}"),
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
            return opened(self.hub, await self.store.write(unit))
        finally:
            forget_subscriptions(self.hub)

    async def update(self, webhook_id: str, body: WebhookIn) -> Webhook:
        current = await self.get(webhook_id)
        # The URL as shown (credentials masked) sent back unchanged keeps the stored one; a
        # masked URL pointing elsewhere would send the stored credentials there.
        url = body.url
        if kept(url, current["url"], mask_url_credentials(current["url"])):
            url = current["url"]
        elif looks_masked(url):
            raise validation_error(
                "url: the URL's masked credentials are kept only with the URL unchanged; send them again", "url"
            )
        await self._check(body, url)
        values: dict[str, Any] = {
            "name": body.name,
            "url": self.hub.secrets.seal(url),
            "event_types": json.dumps(body.event_types),
            "enabled": body.enabled,
            "updated_at": self.hub.clock.now_ms(),
        }
        if body.secret:
            values["secret"] = self.hub.secrets.seal(body.secret)
        if body.enabled:
            values.update(consecutive_failures=0, disabled_at=None)

        async def unit(conn: AsyncConnection) -> RowMapping:
            if not await repo.update_webhook(conn, webhook_id, values):
                raise not_found("webhook", webhook_id)
            updated = await repo.webhook_by_id(conn, webhook_id)
            assert updated is not None
            return updated

        try:
            return opened(self.hub, await self.store.write(unit))
        finally:
            forget_subscriptions(self.hub)

    async def delete(self, webhook_id: str) -> None:
        async def unit(conn: AsyncConnection) -> None:
            if not await repo.delete_webhook(conn, webhook_id):
                raise not_found("webhook", webhook_id)
            await outbox.cancel_pending(conn, target_kind="webhook", target_id=webhook_id, reason="webhook deleted")

        try:
            await self.store.write(unit)
        finally:
            forget_subscriptions(self.hub)

    async def get(self, webhook_id: str) -> Webhook:
        async with self.store.read() as conn:
            row = await repo.webhook_by_id(conn, webhook_id)
        if row is None:
            raise not_found("webhook", webhook_id)
        return opened(self.hub, row)

    async def all(self) -> list[Webhook]:
        async with self.store.read() as conn:
            return [opened(self.hub, row) for row in await repo.list_webhooks(conn)]

    async def seal_stored(self) -> int:
        """At start: encrypt URLs and signing secrets stored in the clear by an older version,
        and check that this hub's key opens the others. Returns how many were sealed."""
        async with self.store.read() as conn:
            rows = await repo.list_webhooks(conn)
        box = self.hub.secrets
        resealed = []
        for row in rows:
            url, secret = box.reseal(row["url"]), box.reseal(row["secret"])
            if url is not None or secret is not None:
                resealed.append((row, url or row["url"], secret or row["secret"]))
        if not resealed:
            return 0

        async def unit(conn: AsyncConnection) -> None:
            for row, url, secret in resealed:
                await repo.seal_webhook(conn, row, url=url, secret=secret)

        try:
            await self.store.write(unit)
        finally:
            forget_subscriptions(self.hub)
        log.info("encrypted the stored URL and secret of %d webhook subscription(s)", len(resealed))
        return len(resealed)

    async def deliveries(self, webhook_id: str, limit: int) -> list[RowMapping]:
        await self.get(webhook_id)
        return await OutboxService(self.hub).deliveries("webhook", webhook_id, limit)

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

    async def react(self, conn: AsyncConnection, event: Event) -> list[Event]:
        """The `webhooks` consumer's reaction: queue `event` for every enabled subscription
        that asked for its type, in the consumer's transaction."""
        assert event.id is not None, "webhooks deliver logged events"
        targets = await subscriptions_for(self.hub, event.type)
        now = self.hub.clock.now_ms()
        data = event.data()
        for webhook in targets:
            delivery_id = delivery_id_for(event.id, webhook["id"])
            await outbox.enqueue(
                conn,
                target_kind="webhook",
                target_id=webhook["id"],
                event_type=event.type,
                payload=body_for(delivery_id, event.type, event.at_ms, data),
                now_ms=now,
                dedupe_key=f"event:{event.id}:{webhook['id']}",
                delivery_id=delivery_id,
            )
        return []


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
        target = opened(self.hub, webhook)
        body = row["payload"].encode()
        timestamp = self.hub.clock.now_ms() // 1000
        headers = signed_headers(target["secret"], row["event_type"], timestamp, body)
        return await self.http.post(target["url"], delivery_id=row["id"], content=body, headers=headers)

    async def settled(self, row: RowMapping, result: DeliveryResult, final: bool) -> None:
        webhook_id = row["target_id"]
        limit = self.hub.settings.webhook_max_failures
        now = self.hub.clock.now_ms()
        error = result.error or "delivery failed"

        async def unit(conn: AsyncConnection) -> list[Event]:
            if result.ok:
                await repo.record_success(conn, webhook_id)
                return []
            failures = await repo.record_failure(conn, webhook_id, error)
            if failures is not None and failures >= limit and await repo.disable(conn, webhook_id, now):
                await outbox.cancel_pending(
                    conn, target_kind="webhook", target_id=webhook_id, reason="webhook disabled"
                )
                disabled = WebhookDisabled(
                    webhook_id=webhook_id, consecutive_failures=failures, last_error=error, at_ms=now
                )
                return await append(conn, [disabled])
            return []

        events = await self.hub.store.write(unit)
        for event in events:
            assert isinstance(event, WebhookDisabled)
            forget_subscriptions(self.hub)
            log.warning(
                "webhook %s disabled after %d failed deliveries in a row", webhook_id, event.consecutive_failures
            )
            await self.hub.bus.publish(*events)
