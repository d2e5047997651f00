"""Discord: a channel webhook URL, the message as an embed."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from watchkeep.notify.channels.base import COLOR, ChannelConfig, SendContext
from watchkeep.notify.delivery import DeliveryResult
from watchkeep.notify.message import Message


class Config(ChannelConfig):
    # The webhook URL is the credential: whoever has it may post to the channel.
    secret_fields = frozenset({"url"})
    url: str = Field(min_length=1, max_length=2000)


def render(message: Message) -> dict[str, Any]:
    fields = [
        {"name": a.subject, "value": f"{a.severity} · {a.state} · {a.message}"[:1024], "inline": False}
        for a in message.alerts[:25]
    ]
    return {
        "username": "watchkeep",
        "embeds": [
            {
                "title": message.title[:256],
                "description": message.text[:4096],
                "url": message.link,
                "color": COLOR.get(message.severity, COLOR["info"]),
                "fields": fields,
                "footer": {"text": message.delivery_id},
            }
        ],
    }


async def send(message: Message, config: Config, ctx: SendContext) -> DeliveryResult:
    return await ctx.http.post(config.url, delivery_id=message.delivery_id, json=render(message))
