"""Microsoft Teams: a Workflows webhook URL, the message as an Adaptive Card."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from watchkeep.notify.channels.base import ChannelConfig, SendContext
from watchkeep.notify.delivery import DeliveryResult
from watchkeep.notify.message import Message

_STYLE = {"critical": "attention", "warning": "warning", "info": "accent", "resolved": "good"}


class Config(ChannelConfig):
    # The webhook URL is the credential: whoever has it may post to the channel.
    secret_fields = frozenset({"url"})
    url: str = Field(min_length=1, max_length=2000)


def render(message: Message) -> dict[str, Any]:
    facts = [{"title": a.subject, "value": f"{a.severity} · {a.state} · {a.message}"} for a in message.alerts]
    card = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": [
            {
                "type": "TextBlock",
                "text": message.title,
                "weight": "Bolder",
                "size": "Medium",
                "wrap": True,
                "color": _STYLE.get(message.severity, "default"),
            },
            {"type": "TextBlock", "text": message.text, "wrap": True},
            {"type": "FactSet", "facts": facts},
        ],
        "actions": [{"type": "Action.OpenUrl", "title": "Open in watchkeep", "url": message.link}],
    }
    return {
        "type": "message",
        "attachments": [
            {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": card}
        ],
    }


async def send(message: Message, config: Config, ctx: SendContext) -> DeliveryResult:
    return await ctx.http.post(config.url, delivery_id=message.delivery_id, json=render(message))
