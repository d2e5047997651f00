"""Webhook subscriptions. Times are epoch milliseconds (UTC)."""

from sqlalchemy import BigInteger, Boolean, Column, Integer, String, Table, Text

from watchkeep.core.db.metadata import metadata

webhooks = Table(
    "webhooks",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("url", Text, nullable=False),
    # `url` and `secret` are sealed (core/crypto.py): the hub needs them back to sign and send.
    Column("secret", Text, nullable=False),
    Column("event_types", Text, nullable=False),
    Column("enabled", Boolean, nullable=False),
    Column("consecutive_failures", Integer, nullable=False),
    Column("disabled_at", BigInteger),
    Column("last_error", Text),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
)
