"""Generic webhook: the message as JSON to any URL, with optional extra headers."""

from __future__ import annotations

from pydantic import Field

from watchkeep.notify.channels.base import ChannelConfig, SendContext
from watchkeep.notify.channels.fields import HeaderName, HeaderValue
from watchkeep.notify.delivery import DeliveryResult
from watchkeep.notify.message import Message


class Config(ChannelConfig):
    # Header values carry credentials (Authorization, API keys).
    secret_fields = frozenset({"headers"})
    url: str = Field(min_length=1, max_length=2000)
    headers: dict[HeaderName, HeaderValue] = Field(default_factory=dict, max_length=50)


async def send(message: Message, config: Config, ctx: SendContext) -> DeliveryResult:
    return await ctx.http.post(
        config.url, delivery_id=message.delivery_id, json=message.to_json(), headers=config.headers
    )
