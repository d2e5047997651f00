"""API models for webhook subscriptions."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from pydantic import Field

from watchkeep.core.clock import rfc3339
from watchkeep.core.masking import mask_url_credentials
from watchkeep.core.schemas import ApiModel, WriteModel


class WebhookIn(WriteModel):
    name: str = Field(min_length=1, max_length=100)
    url: str = Field(min_length=1, max_length=2000)
    secret: str | None = Field(None, min_length=16, max_length=200)
    event_types: list[str] = Field(default_factory=lambda: ["*"], min_length=1, max_length=100)
    enabled: bool = True


class WebhookOut(ApiModel):
    id: str
    name: str
    url: str
    event_types: list[str]
    enabled: bool
    consecutive_failures: int
    disabled_at: str | None
    last_error: str | None
    created_at: str | None
    updated_at: str | None

    @classmethod
    def of(cls, row: Mapping[str, Any]) -> WebhookOut:
        """`row` as the webhook service returns it (decrypted); the URL's credentials are masked
        here and the signing secret is left out."""
        return cls(
            id=row["id"],
            name=row["name"],
            url=mask_url_credentials(row["url"]),
            event_types=json.loads(row["event_types"]),
            enabled=bool(row["enabled"]),
            consecutive_failures=row["consecutive_failures"],
            disabled_at=rfc3339(row["disabled_at"]),
            last_error=row["last_error"],
            created_at=rfc3339(row["created_at"]),
            updated_at=rfc3339(row["updated_at"]),
        )


class WebhookCreated(WebhookOut):
    """The only answer that shows the signing secret."""

    secret: str
