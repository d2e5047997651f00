"""`webhooks`: outbound webhook subscriptions. The signing secret is written as a reference;
left out, a new subscription gets a generated one and an existing one keeps its own."""

from __future__ import annotations

import json
import secrets

from sqlalchemy.ext.asyncio import AsyncConnection

from watchkeep.configfile.section import Item, Secret, Section, Stored
from watchkeep.configfile.sections.secrets import secrets_in
from watchkeep.core.errors import validation_error
from watchkeep.core.events import Event
from watchkeep.core.ids import new_id
from watchkeep.core.masking import looks_masked
from watchkeep.notify import outbox
from watchkeep.webhooks import repository as repo
from watchkeep.webhooks.schemas import WebhookIn
from watchkeep.webhooks.service import check_webhook, opened
from watchkeep.webhooks.subscriptions import forget_subscriptions


class WebhooksSection(Section):
    key = "webhooks"

    async def stored(self, conn: AsyncConnection) -> list[Stored]:
        found = []
        for row in await repo.list_webhooks(conn):
            clear = opened(self.hub, row)
            fields = {
                "name": clear["name"],
                "url": clear["url"],
                "secret": clear["secret"],
                "eventTypes": json.loads(clear["event_types"]),
                "enabled": bool(clear["enabled"]),
            }
            found.append(Stored(row["id"], WebhookIn.model_validate(fields).model_dump(by_alias=True, mode="json")))
        return found

    async def checked(self, raw: Item) -> Item:
        body = WebhookIn.model_validate(raw)
        for field in ("url", "secret"):
            value = getattr(body, field)
            if isinstance(value, str) and looks_masked(value):
                raise validation_error(f"{field}: a masked value; give the value itself", field)
        await check_webhook(self.hub, body, body.url)
        return body.model_dump(by_alias=True, mode="json")

    def merged(self, stored: Item, item: Item) -> Item:
        return item if item["secret"] is not None else {**item, "secret": stored["secret"]}

    def secrets(self, item: Item) -> list[Secret]:
        return secrets_in(item, frozenset({"secret"}), frozenset({"url"}), (), "webhook", item["name"])

    def _values(self, item: Item) -> dict[str, object]:
        return {
            "name": item["name"],
            "url": self.hub.secrets.seal(item["url"]),
            "event_types": json.dumps(item["eventTypes"]),
            "enabled": item["enabled"],
            "updated_at": self.hub.clock.now_ms(),
        }

    async def create(self, conn: AsyncConnection, item: Item) -> list[Event]:
        now = self.hub.clock.now_ms()
        secret = item["secret"] or f"whsec_{secrets.token_urlsafe(32)}"
        row = {
            **self._values(item),
            "id": new_id("whk"),
            "secret": self.hub.secrets.seal(secret),
            "consecutive_failures": 0,
            "created_at": now,
        }
        await repo.insert_webhook(conn, row)
        return []

    async def update(self, conn: AsyncConnection, stored: Stored, item: Item) -> list[Event]:
        values = self._values(item)
        if item["secret"]:
            values["secret"] = self.hub.secrets.seal(item["secret"])
        if item["enabled"] and not stored.item["enabled"]:
            values.update(consecutive_failures=0, disabled_at=None)
        await repo.update_webhook(conn, stored.id, values)
        return []

    async def delete(self, conn: AsyncConnection, stored: Stored) -> list[Event]:
        await repo.delete_webhook(conn, stored.id)
        await outbox.cancel_pending(conn, target_kind="webhook", target_id=stored.id, reason="webhook deleted")
        return []

    async def committed(self) -> None:
        forget_subscriptions(self.hub)
