"""`channels`: notification channels with their routing rules nested under `rules`."""

from __future__ import annotations

import json

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncConnection

from watchkeep.configfile.document import dotted
from watchkeep.configfile.errors import located
from watchkeep.configfile.section import Item, Secret, Section, Stored
from watchkeep.configfile.sections.secrets import secrets_in
from watchkeep.core.errors import validation_error
from watchkeep.core.events import Event
from watchkeep.core.ids import new_id
from watchkeep.core.masking import looks_masked
from watchkeep.notify import outbox
from watchkeep.notify import repository as repo
from watchkeep.notify.channels import CHANNEL_TYPES, channel_module
from watchkeep.notify.schemas import ChannelIn, RuleIn
from watchkeep.notify.service import parse_config
from watchkeep.notify.urlpolicy import policy_for


def _rule_order(rule: Item) -> str:
    return json.dumps(rule, sort_keys=True)


class ChannelsSection(Section):
    key = "channels"

    async def stored(self, conn: AsyncConnection) -> list[Stored]:
        rules = await repo.list_rules(conn)
        found = []
        for row in await repo.list_channels(conn):
            item = {
                "name": row["name"],
                "type": row["type"],
                "config": json.loads(self.hub.secrets.open(row["config"])),
                "enabled": bool(row["enabled"]),
                "rules": [
                    {
                        "matchers": json.loads(rule["matchers"]),
                        "repeatIntervalSeconds": rule["repeat_interval_seconds"],
                        "sendResolved": bool(rule["send_resolved"]),
                    }
                    for rule in rules
                    if rule["channel_id"] == row["id"]
                ],
            }
            found.append(Stored(row["id"], self._canonical(item)))
        return found

    def _canonical(self, raw: Item) -> Item:
        body = ChannelIn.model_validate(raw)
        config = parse_config(body.type, body.config).model_dump(by_alias=True, exclude_none=True)
        raw_rules = raw.get("rules", [])
        if not isinstance(raw_rules, list):
            raise validation_error("rules: a list of routing rules", "rules")
        rules = []
        for index, rule in enumerate(raw_rules):
            try:
                rules.append(RuleIn.model_validate(rule).model_dump(by_alias=True, mode="json"))
            except ValidationError as exc:
                where, message = located(exc)
                field = dotted(("rules", index, *where))
                raise validation_error(f"{field}: {message}", field) from None
        return {
            "name": body.name,
            "type": body.type,
            "config": config,
            "enabled": body.enabled,
            "rules": sorted(rules, key=_rule_order),
        }

    async def checked(self, raw: Item) -> Item:
        item = self._canonical(raw)
        for field in self._secret_fields(item):
            value = item["config"].get(field)
            texts = list(value.values()) if isinstance(value, dict) else [value]
            if any(isinstance(text, str) and looks_masked(text) for text in texts):
                raise validation_error(f"config.{field}: a masked value; give the secret itself", f"config.{field}")
        config = parse_config(item["type"], item["config"])
        for url in config.target_urls():
            await policy_for(self.hub).validate_url(url, "config.url", config.url_schemes)
        return item

    @staticmethod
    def _secret_fields(item: Item) -> frozenset[str]:
        kind = item["type"]
        return channel_module(kind).Config.secret_fields if kind in CHANNEL_TYPES else frozenset()

    def secrets(self, item: Item) -> list[Secret]:
        cls = channel_module(item["type"]).Config
        return secrets_in(
            item["config"], cls.secret_fields, cls.destination_fields, ("config",), "channel", item["name"]
        )

    def _row(self, item: Item) -> dict[str, object]:
        return {
            "name": item["name"],
            "type": item["type"],
            "config": self.hub.secrets.seal(json.dumps(item["config"])),
            "enabled": item["enabled"],
        }

    async def _insert_rules(self, conn: AsyncConnection, channel_id: str, item: Item, now: int) -> None:
        for rule in item["rules"]:
            body = RuleIn.model_validate(rule)
            await repo.insert_rule(
                conn,
                {
                    "id": new_id("rul"),
                    "channel_id": channel_id,
                    "matchers": json.dumps(body.matchers.stored()),
                    "repeat_interval_seconds": body.repeat_interval_seconds,
                    "send_resolved": body.send_resolved,
                    "created_at": now,
                },
            )

    async def create(self, conn: AsyncConnection, item: Item) -> list[Event]:
        now = self.hub.clock.now_ms()
        channel_id = new_id("chn")
        row = {**self._row(item), "id": channel_id, "disabled_reason": None, "created_at": now, "updated_at": now}
        await repo.insert_channel(conn, row)
        await self._insert_rules(conn, channel_id, item, now)
        return []

    async def update(self, conn: AsyncConnection, stored: Stored, item: Item) -> list[Event]:
        now = self.hub.clock.now_ms()
        values = {**self._row(item), "updated_at": now}
        if item["enabled"]:
            values["disabled_reason"] = None
        await repo.update_channel(conn, stored.id, values)
        if stored.item["rules"] != item["rules"]:
            for rule in await repo.list_rules(conn, [stored.id]):
                await repo.delete_rule(conn, stored.id, rule["id"])
            await self._insert_rules(conn, stored.id, item, now)
        return []

    async def delete(self, conn: AsyncConnection, stored: Stored) -> list[Event]:
        await repo.delete_channel(conn, stored.id)
        await outbox.cancel_pending(conn, target_kind="channel", target_id=stored.id, reason="channel deleted")
        return []
