"""Slack: an incoming webhook URL, the message as Block Kit blocks."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from watchkeep.notify.channels.base import ChannelConfig, SendContext
from watchkeep.notify.delivery import DeliveryResult
from watchkeep.notify.message import Message


class Config(ChannelConfig):
    # The webhook URL is the credential: whoever has it may post to the channel.
    secret_fields = frozenset({"url"})
    url: str = Field(min_length=1, max_length=2000)


def render(message: Message) -> dict[str, Any]:
    return {
        "text": message.title,
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": message.title[:150]}},
            {"type": "section", "text": {"type": "mrkdwn", "text": message.text}},
            {
                "type": "context",
                "elements": [{"type": "mrkdwn", "text": f"<{message.link}|Open in watchkeep> · {message.delivery_id}"}],
            },
        ],
    }


async def send(message: Message, config: Config, ctx: SendContext) -> DeliveryResult:
    return await ctx.http.post(config.url, delivery_id=message.delivery_id, json=render(message))
