"""Gotify: the server URL and an application token; POST /message."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from watchkeep.notify.channels.base import ChannelConfig, SendContext
from watchkeep.notify.channels.fields import HeaderValue
from watchkeep.notify.delivery import DeliveryResult
from watchkeep.notify.message import Message

_PRIORITY = {"critical": 8, "warning": 5, "info": 2, "resolved": 2}


class Config(ChannelConfig):
    secret_fields = frozenset({"token"})
    url: str = Field(min_length=1, max_length=2000)
    token: HeaderValue = Field(min_length=1, max_length=500)


def render(message: Message) -> dict[str, Any]:
    return {
        "title": message.title,
        "message": message.text,
        "priority": _PRIORITY.get(message.severity, 2),
        "extras": {
            "client::display": {"contentType": "text/plain"},
            "client::notification": {"click": {"url": message.link}},
        },
    }


async def send(message: Message, config: Config, ctx: SendContext) -> DeliveryResult:
    url = config.url.rstrip("/") + "/message"
    return await ctx.http.post(
        url, delivery_id=message.delivery_id, json=render(message), headers={"X-Gotify-Key": config.token}
    )
