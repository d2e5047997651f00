"""Channels, routing rules and the outbox. Times are epoch milliseconds (UTC)."""

from sqlalchemy import BigInteger, Boolean, Column, ForeignKey, Index, Integer, String, Table, Text

from watchkeep.core.db.metadata import metadata

channels = Table(
    "channels",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("type", String(16), nullable=False),
    Column("config", Text, nullable=False),
    Column("enabled", Boolean, nullable=False),
    Column("disabled_reason", Text),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
)

channel_rules = Table(
    "channel_rules",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("channel_id", String(40), ForeignKey("channels.id", ondelete="CASCADE"), nullable=False),
    Column("matchers", Text, nullable=False),
    Column("repeat_interval_seconds", Integer),
    Column("send_resolved", Boolean, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Index("ix_channel_rules_channel_id", "channel_id"),
)

# Every message to send is a row here first. `id` is the delivery id receivers see;
# `dedupe_key` makes enqueueing the same message twice (two replicas, a retry) a no-op.
outbox = Table(
    "outbox",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("dedupe_key", String(200), unique=True),
    Column("target_kind", String(16), nullable=False),
    Column("target_id", String(40), nullable=False),
    Column("event_type", String(64), nullable=False),
    Column("alert_id", String(40)),
    Column("payload", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", BigInteger, nullable=False),
    Column("lease_until", BigInteger),
    Column("claimed_by", String(40)),
    Column("last_error", Text),
    Column("latency_ms", Integer),
    Column("digest_id", String(40)),
    Column("created_at", BigInteger, nullable=False),
    Column("delivered_at", BigInteger),
    Index("ix_outbox_status_next_attempt_at", "status", "next_attempt_at"),
    Index("ix_outbox_target", "target_kind", "target_id", "created_at"),
    Index("ix_outbox_alert_id", "alert_id"),
)
