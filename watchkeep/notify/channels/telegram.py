"""Telegram: a bot token and a chat id; the Bot API's sendMessage with HTML text."""

from __future__ import annotations

from html import escape
from typing import Any

from pydantic import Field

from watchkeep.notify.channels.base import ChannelConfig, SendContext
from watchkeep.notify.channels.fields import SingleLine
from watchkeep.notify.delivery import DeliveryResult
from watchkeep.notify.message import Message


class Config(ChannelConfig):
    secret_fields = frozenset({"botToken"})
    destination_fields = frozenset({"apiUrl", "chatId"})
    # Sent in the URL path: nothing that would change the URL.
    bot_token: str = Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9:_-]+$")
    chat_id: SingleLine = Field(min_length=1, max_length=100)
    api_url: str = Field("https://api.telegram.org", max_length=2000)

    def target_urls(self) -> list[str]:
        return [self.api_url]


def render(message: Message, chat_id: str) -> dict[str, Any]:
    text = f'<b>{escape(message.title)}</b>\n{escape(message.text)}\n<a href="{escape(message.link)}">Open</a>'
    return {"chat_id": chat_id, "text": text, "parse_mode": "HTML", "disable_web_page_preview": True}


async def send(message: Message, config: Config, ctx: SendContext) -> DeliveryResult:
    url = f"{config.api_url.rstrip('/')}/bot{config.bot_token}/sendMessage"
    return await ctx.http.post(url, delivery_id=message.delivery_id, json=render(message, config.chat_id))
