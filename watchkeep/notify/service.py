"""Channels and their routing rules, test sends, and the deliverer of channel messages."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from watchkeep.core.errors import WatchkeepError, conflict, not_found, validation_error
from watchkeep.core.events import ChannelDeliveryFailed, Event
from watchkeep.core.events.log import append
from watchkeep.core.hub import Hub
from watchkeep.core.ids import new_id
from watchkeep.notify import outbox
from watchkeep.notify import repository as repo
from watchkeep.notify.channels import CHANNEL_TYPES, channel_module
from watchkeep.notify.channels.base import ChannelConfig, SendContext
from watchkeep.notify.delivery import DeliveryResult, HttpSender
from watchkeep.notify.masking import check_destination, merged_config
from watchkeep.notify.message import AlertNotice, Message
from watchkeep.notify.schemas import ChannelIn, RuleIn
from watchkeep.notify.urlpolicy import policy_for

log = logging.getLogger("watchkeep.notify")


def parse_config(kind: str, config: dict[str, Any]) -> ChannelConfig:
    if kind not in CHANNEL_TYPES:
        raise validation_error(f"unknown channel type {kind!r}; allowed: {', '.join(CHANNEL_TYPES)}", "type")
    try:
        return channel_module(kind).Config.model_validate(config)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = config_field(first["loc"])
        error: WatchkeepError = validation_error(f"{field}: {first['msg']}", field)
        raise error from None


Channel = Mapping[str, Any]
"""A channel row with its config decrypted (the table keeps it sealed, core/crypto.py)."""


class ChannelService:
    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.store = hub.store

    def _opened(self, row: RowMapping) -> Channel:
        return {**row, "config": self.hub.secrets.open(row["config"])}

    def _sealed(self, config: ChannelConfig) -> str:
        return self.hub.secrets.seal(json.dumps(config.model_dump(by_alias=True, exclude_none=True)))

    async def _validated(self, body: ChannelIn, previous: dict[str, Any] | None = None) -> ChannelConfig:
        given, kept = merged_config(body.type, dict(body.config), previous)
        config = parse_config(body.type, given)
        if kept and previous is not None:
            check_destination(config, parse_config(body.type, previous), kept)
        for url in config.target_urls():
            await policy_for(self.hub).validate_url(url, "config.url", config.url_schemes)
        return config

    async def create(self, body: ChannelIn) -> tuple[Channel, list[RowMapping]]:
        config = await self._validated(body)
        now = self.hub.clock.now_ms()
        channel_id = new_id("chn")
        row = {
            "id": channel_id,
            "name": body.name,
            "type": body.type,
            "config": self._sealed(config),
            "enabled": body.enabled,
            "disabled_reason": None,
            "created_at": now,
            "updated_at": now,
        }

        async def unit(conn: AsyncConnection) -> RowMapping:
            if await repo.channel_by_name(conn, body.name) is not None:
                raise conflict(f"a channel named {body.name!r} already exists", "name")
            await repo.insert_channel(conn, row)
            created = await repo.channel_by_id(conn, channel_id)
            assert created is not None
            return created

        return self._opened(await self.store.write(unit)), []

    async def update(self, channel_id: str, body: ChannelIn) -> tuple[Channel, list[RowMapping]]:
        current, _ = await self.get(channel_id)
        config = await self._validated(body, json.loads(current["config"]) if current["type"] == body.type else None)
        now = self.hub.clock.now_ms()
        values = {
            "name": body.name,
            "type": body.type,
            "config": self._sealed(config),
            "enabled": body.enabled,
            "disabled_reason": None if body.enabled else current["disabled_reason"],
            "updated_at": now,
        }

        async def unit(conn: AsyncConnection) -> RowMapping:
            other = await repo.channel_by_name(conn, body.name)
            if other is not None and other["id"] != channel_id:
                raise conflict(f"a channel named {body.name!r} already exists", "name")
            if not await repo.update_channel(conn, channel_id, values):
                raise not_found("channel", channel_id)
            updated = await repo.channel_by_id(conn, channel_id)
            assert updated is not None
            return updated

        row = await self.store.write(unit)
        return self._opened(row), (await self.get(channel_id))[1]

    async def delete(self, channel_id: str) -> None:
        async def unit(conn: AsyncConnection) -> None:
            if not await repo.delete_channel(conn, channel_id):
                raise not_found("channel", channel_id)
            await outbox.cancel_pending(conn, target_kind="channel", target_id=channel_id, reason="channel deleted")

        await self.store.write(unit)

    async def get(self, channel_id: str) -> tuple[Channel, list[RowMapping]]:
        async with self.store.read() as conn:
            row = await repo.channel_by_id(conn, channel_id)
            if row is None:
                raise not_found("channel", channel_id)
            return self._opened(row), await repo.list_rules(conn, [channel_id])

    async def all(self) -> list[tuple[Channel, list[RowMapping]]]:
        async with self.store.read() as conn:
            rows = await repo.list_channels(conn)
            rules = await repo.list_rules(conn)
        return [(self._opened(row), [r for r in rules if r["channel_id"] == row["id"]]) for row in rows]

    async def seal_stored(self) -> int:
        """At start: encrypt configs stored in the clear by an older version, and check that
        this hub's key opens the others (a wrong key stops the start, core/crypto.py).
        Returns how many were sealed."""
        async with self.store.read() as conn:
            rows = await repo.list_channels(conn)
        resealed = [(row, sealed) for row in rows if (sealed := self.hub.secrets.reseal(row["config"]))]
        if not resealed:
            return 0

        async def unit(conn: AsyncConnection) -> None:
            for row, sealed in resealed:
                await repo.seal_channel_config(conn, row["id"], row["config"], sealed)

        await self.store.write(unit)
        log.info("encrypted the stored configuration of %d channel(s)", len(resealed))
        return len(resealed)

    async def add_rule(self, channel_id: str, body: RuleIn) -> RowMapping:
        row = {
            "id": new_id("rul"),
            "channel_id": channel_id,
            "matchers": json.dumps(body.matchers.stored()),
            "repeat_interval_seconds": body.repeat_interval_seconds,
            "send_resolved": body.send_resolved,
            "created_at": self.hub.clock.now_ms(),
        }

        async def unit(conn: AsyncConnection) -> RowMapping:
            if await repo.channel_by_id(conn, channel_id) is None:
                raise not_found("channel", channel_id)
            await repo.insert_rule(conn, row)
            return (await repo.list_rules(conn, [channel_id]))[-1]

        return await self.store.write(unit)

    async def delete_rule(self, channel_id: str, rule_id: str) -> None:
        async def unit(conn: AsyncConnection) -> None:
            if not await repo.delete_rule(conn, channel_id, rule_id):
                raise not_found("routing rule", rule_id)

        await self.store.write(unit)

    async def deliveries(self, channel_id: str, limit: int) -> list[RowMapping]:
        await self.get(channel_id)
        return await OutboxService(self.hub).deliveries("channel", channel_id, limit)

    async def send_test(self, channel_id: str, http: HttpSender) -> tuple[str, DeliveryResult]:
        """Send a test message now, bypassing the outbox, and report what happened."""
        row, _ = await self.get(channel_id)
        message = Message(new_id("dlv"), "test", (), self.hub.settings.base_url)
        try:
            result = await send_to_channel(row, message, SendContext(self.hub.settings, http))
        except Exception as exc:
            # Whatever the stored config or the target does, a test send reports, never fails.
            log.exception("test send to channel %s raised", channel_id)
            result = DeliveryResult.failed(f"internal error: {type(exc).__name__}")
        return message.delivery_id, result


class OutboxService:
    """What the outbox tells other domains: the deliveries made for one of their targets
    (a channel, a webhook subscription), newest first."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub

    async def deliveries(self, target_kind: str, target_id: str, limit: int) -> list[RowMapping]:
        async with self.hub.store.read() as conn:
            return await repo.list_deliveries(conn, target_kind, target_id, limit)

    async def for_alert(self, alert_id: str, limit: int) -> list[RowMapping]:
        """The messages sent (or being sent) about one alert, newest first."""
        async with self.hub.store.read() as conn:
            return await repo.deliveries_for_alert(conn, alert_id, limit)


async def send_to_channel(channel: Channel, message: Message, ctx: SendContext) -> DeliveryResult:
    """Send `message` to `channel`. A stored config that is no longer valid (stored before a
    rule tightened, or written around the API) is a permanent failure naming the field: no
    retry can fix it."""
    if channel["type"] not in CHANNEL_TYPES:
        return DeliveryResult.failed(f"unknown channel type {channel['type']!r}", permanent=True)
    module = channel_module(channel["type"])
    try:
        config = module.Config.model_validate(json.loads(channel["config"]))
    except (ValidationError, ValueError) as exc:
        return DeliveryResult.failed(f"invalid channel configuration: {_config_problem(exc)}", permanent=True)
    return await module.send(message, config, ctx)


def _config_problem(exc: Exception) -> str:
    if not isinstance(exc, ValidationError):
        return "the stored config is not valid JSON"
    first = exc.errors()[0]
    return f"{config_field(first['loc'])}: {first['msg']}"


def config_field(loc: tuple[int | str, ...]) -> str:
    """`config.headers.Host` for an error at ('headers', 'Host', '[key]')."""
    where = ".".join(str(part) for part in loc if part != "[key]")
    return f"config.{where}" if where else "config"


def message_for(row: RowMapping, hub_url: str) -> Message:
    notices = tuple(AlertNotice.from_stored(n) for n in json.loads(row["payload"]))
    if row["event_type"] == "alert.digest":
        return Message(row["id"], "digest", notices, hub_url)
    return Message(row["id"], "alert", notices, hub_url)


class ChannelDeliverer:
    """Delivers `channel` outbox rows. A permanent failure disables the channel."""

    def __init__(self, hub: Hub, http: HttpSender) -> None:
        self.hub = hub
        self.ctx = SendContext(hub.settings, http)

    async def deliver(self, row: RowMapping) -> DeliveryResult:
        async with self.hub.store.read() as conn:
            channel = await repo.channel_by_id(conn, row["target_id"])
        if channel is None:
            return DeliveryResult.failed("the channel was deleted", permanent=True)
        if not channel["enabled"]:
            return DeliveryResult.failed("the channel is disabled", permanent=True)
        opened = {**channel, "config": self.hub.secrets.open(channel["config"])}
        return await send_to_channel(opened, message_for(row, self.hub.settings.base_url), self.ctx)

    async def settled(self, row: RowMapping, result: DeliveryResult, final: bool) -> None:
        if result.ok or not final:
            return
        error = result.error or "delivery failed"
        now = self.hub.clock.now_ms()
        failed = ChannelDeliveryFailed(
            channel_id=row["target_id"],
            delivery_id=row["id"],
            attempts=row["attempts"],
            error=error,
            permanent=result.permanent,
            at_ms=now,
        )

        async def unit(conn: AsyncConnection) -> list[Event]:
            if result.permanent:
                values = {"enabled": False, "disabled_reason": error, "updated_at": now}
                await repo.update_channel(conn, row["target_id"], values)
            return await append(conn, [failed])

        events = await self.hub.store.write(unit)
        if result.permanent:
            log.warning("channel %s disabled after a permanent failure: %s", row["target_id"], error)
        await self.hub.bus.publish(*events)
