"""Apprise: any service Apprise knows, by its Apprise URL (`discord://...`, `json://...`).
Needs the optional `apprise` extra (`pip install 'watchkeep[apprise]'`)."""

from __future__ import annotations

import asyncio
import importlib
import importlib.util
import time
from typing import Any, ClassVar

from pydantic import Field, field_validator

from watchkeep.notify.channels.base import ChannelConfig, SendContext
from watchkeep.notify.delivery import DeliveryResult
from watchkeep.notify.message import Message
from watchkeep.notify.urlpolicy import TargetRefused, check_url

_MISSING = "the apprise channel type needs the optional extra: pip install 'watchkeep[apprise]'"


def available() -> bool:
    return importlib.util.find_spec("apprise") is not None


class Config(ChannelConfig):
    secret_fields = frozenset({"url"})
    url_schemes: ClassVar[frozenset[str] | None] = None
    url: str = Field(min_length=1, max_length=2000)

    @field_validator("url")
    @classmethod
    def _installed(cls, value: str) -> str:
        if not available():
            raise ValueError(_MISSING)
        return value


def _notify(url: str, title: str, body: str) -> bool:
    apprise: Any = importlib.import_module("apprise")
    target = apprise.Apprise()
    if not target.add(url):
        raise ValueError("Apprise does not understand this URL")
    return bool(target.notify(title=title, body=body))


async def send(message: Message, config: Config, ctx: SendContext) -> DeliveryResult:
    if not available():
        return DeliveryResult.failed(_MISSING, permanent=True)
    try:
        await check_url(config.url, allow_private=ctx.http.allow_private, schemes=None)
    except TargetRefused as exc:
        return DeliveryResult.failed(f"target refused: {exc}", permanent=True)
    body = f"{message.text}\n\n{message.link}\n({message.delivery_id})"
    started = time.perf_counter()
    try:
        sent = await asyncio.to_thread(_notify, config.url, message.title, body)
    except ValueError as exc:
        return DeliveryResult.failed(str(exc), permanent=True)
    if not sent:
        return DeliveryResult.failed("Apprise could not deliver the message")
    return DeliveryResult(ok=True, latency_ms=int((time.perf_counter() - started) * 1000))
