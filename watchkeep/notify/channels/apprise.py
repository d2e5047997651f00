"""Apprise: any service Apprise knows, by its Apprise URL (`discord://...`, `json://...`).
Needs the optional `apprise` extra (`pip install 'watchkeep[apprise]'`).

Apprise connects by itself, and its URLs can name other hosts than the one checked
(`mailto://...?smtp=10.0.0.5`), and its HTTP client follows redirects: every connection
it makes during a send goes through the connect guard, which applies the URL policy to the
address actually connected to."""

from __future__ import annotations

import asyncio
import importlib
import importlib.util
import time
from typing import Any, ClassVar

from pydantic import Field, field_validator

from watchkeep.notify.channels.base import ChannelConfig, SendContext
from watchkeep.notify.connectguard import guarded
from watchkeep.notify.delivery import DeliveryResult, refused
from watchkeep.notify.message import Message
from watchkeep.notify.urlpolicy import TargetRefused, UrlPolicy

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


_REFUSED = (
    "target refused: Apprise tried to connect to a loopback, link-local, private or reserved address "
    "(through the URL, an override parameter or a redirect)"
)


def _notify(policy: UrlPolicy, url: str, title: str, body: str) -> DeliveryResult:
    apprise: Any = importlib.import_module("apprise")
    target = apprise.Apprise()
    if not target.add(url):
        return DeliveryResult.failed("Apprise does not understand this URL", permanent=True)
    with guarded(policy) as guard:
        sent = bool(target.notify(title=title, body=body))
    if guard.refused:
        return DeliveryResult.failed(_REFUSED, permanent=True)
    if not sent:
        return DeliveryResult.failed("Apprise could not deliver the message")
    return DeliveryResult(ok=True)


async def send(message: Message, config: Config, ctx: SendContext) -> DeliveryResult:
    if not available():
        return DeliveryResult.failed(_MISSING, permanent=True)
    policy = ctx.http.policy
    try:
        await policy.check_url(config.url, schemes=None)
    except TargetRefused as exc:
        return refused(exc)
    body = f"{message.text}\n\n{message.link}\n({message.delivery_id})"
    started = time.perf_counter()
    result = await asyncio.to_thread(_notify, policy, config.url, message.title, body)
    if not result.ok:
        return result
    return DeliveryResult(ok=True, latency_ms=int((time.perf_counter() - started) * 1000))
