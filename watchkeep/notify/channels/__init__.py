"""Channel types. Each is one module exposing `Config` (its pydantic config model) and
`async def send(message, config, ctx) -> DeliveryResult`; modules load on first use."""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any, Protocol, cast

from watchkeep.notify.channels.base import ChannelConfig, SendContext
from watchkeep.notify.delivery import DeliveryResult
from watchkeep.notify.message import Message

CHANNEL_TYPES: dict[str, str] = {
    name: f"watchkeep.notify.channels.{name}"
    for name in ("slack", "discord", "teams", "webhook", "email", "ntfy", "gotify", "telegram", "pushover", "apprise")
}


class ChannelModule(Protocol):
    Config: type[ChannelConfig]

    async def send(self, message: Message, config: Any, ctx: SendContext) -> DeliveryResult: ...


def channel_module(kind: str) -> ChannelModule:
    module: ModuleType = importlib.import_module(CHANNEL_TYPES[kind])
    return cast(ChannelModule, module)
