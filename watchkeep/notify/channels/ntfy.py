"""ntfy: the topic URL (`https://server/topic`), title, priority and tags as headers."""

from __future__ import annotations

from email.header import Header

from pydantic import Field

from watchkeep.notify.channels.base import ChannelConfig, SendContext
from watchkeep.notify.channels.fields import HeaderValue
from watchkeep.notify.delivery import DeliveryResult
from watchkeep.notify.message import Message

_PRIORITY = {"critical": "5", "warning": "4", "info": "3", "resolved": "3"}
_TAGS = {
    "critical": "rotating_light",
    "warning": "warning",
    "info": "information_source",
    "resolved": "white_check_mark",
}


class Config(ChannelConfig):
    secret_fields = frozenset({"token"})
    url: str = Field(min_length=1, max_length=2000)
    token: HeaderValue | None = Field(None, max_length=500)


def header_text(text: str) -> str:
    """`text` as a header value: one line, and RFC 2047 encoded when not ASCII (ntfy decodes it)."""
    line = " ".join(text.split())
    return line if line.isascii() else Header(line, "utf-8").encode(maxlinelen=10_000)


def headers(message: Message, config: Config) -> dict[str, str]:
    values = {
        "Title": header_text(message.title),
        "Priority": _PRIORITY.get(message.severity, "3"),
        "Tags": _TAGS.get(message.severity, "bell"),
        "Click": message.link,
        "Content-Type": "text/plain; charset=utf-8",
    }
    if config.token:
        values["Authorization"] = f"Bearer {config.token}"
    return values


async def send(message: Message, config: Config, ctx: SendContext) -> DeliveryResult:
    body = message.text.encode()
    return await ctx.http.post(
        config.url, delivery_id=message.delivery_id, content=body, headers=headers(message, config)
    )
