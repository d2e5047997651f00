"""Pushover: an application token and a user key; a form POST to /1/messages.json."""

from __future__ import annotations

from pydantic import Field

from watchkeep.notify.channels.base import ChannelConfig, SendContext
from watchkeep.notify.delivery import DeliveryResult
from watchkeep.notify.message import Message

_PRIORITY = {"critical": "1", "warning": "0", "info": "-1", "resolved": "-1"}


class Config(ChannelConfig):
    secret_fields = frozenset({"token", "user"})
    destination_fields = frozenset({"apiUrl"})
    token: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_-]+$")
    user: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_-]+$")
    api_url: str = Field("https://api.pushover.net", max_length=2000)

    def target_urls(self) -> list[str]:
        return [self.api_url]


def render(message: Message, config: Config) -> dict[str, str]:
    return {
        "token": config.token,
        "user": config.user,
        "title": message.title[:250],
        "message": message.text[:1024],
        "priority": _PRIORITY.get(message.severity, "0"),
        "url": message.link,
        "url_title": "Open in watchkeep",
    }


async def send(message: Message, config: Config, ctx: SendContext) -> DeliveryResult:
    url = f"{config.api_url.rstrip('/')}/1/messages.json"
    return await ctx.http.post(url, delivery_id=message.delivery_id, data=render(message, config))
