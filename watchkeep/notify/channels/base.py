"""What every channel module shares: its config base model and the context of a send."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from pydantic import ConfigDict

from watchkeep.core.config import Settings
from watchkeep.core.schemas import ApiModel
from watchkeep.notify.delivery import HttpSender
from watchkeep.notify.urlpolicy import HTTP_SCHEMES


class ChannelConfig(ApiModel):
    """A channel's `config` object. Unknown fields are refused so a typo is not ignored."""

    model_config = ConfigDict(extra="forbid")
    # Fields (API names) holding credentials: never shown whole (watchkeep/notify/masking.py).
    secret_fields: ClassVar[frozenset[str]] = frozenset()
    # Fields that say where the credentials go: a stored secret sent back masked is kept only
    # while these are unchanged. URLs among them are shown with their credentials masked.
    destination_fields: ClassVar[frozenset[str]] = frozenset({"url"})
    # Schemes allowed in `target_urls()`; None lets any scheme through (its host is still checked).
    url_schemes: ClassVar[frozenset[str] | None] = HTTP_SCHEMES

    def target_urls(self) -> list[str]:
        """The URLs this channel sends to, for the outbound URL policy."""
        url = getattr(self, "url", None)
        return [url] if isinstance(url, str) else []


@dataclass(frozen=True)
class SendContext:
    settings: Settings
    http: HttpSender


PRIORITY = {"critical": "high", "warning": "default", "info": "low", "resolved": "low"}
COLOR = {"critical": 0xD93025, "warning": 0xF29900, "info": 0x1A73E8, "resolved": 0x188038}
