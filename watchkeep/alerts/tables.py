"""Alerts, silences and maintenance windows. Times are epoch milliseconds (UTC); JSON
columns hold text."""

from sqlalchemy import BigInteger, Boolean, Column, Index, Integer, String, Table, Text, text

from watchkeep.core.db.metadata import metadata

alerts = Table(
    "alerts",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("source", String(32), nullable=False),
    Column("type", String(64), nullable=False),
    Column("severity", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("message", Text, nullable=False),
    Column("entity_type", String(32), nullable=False),
    Column("entity_id", String(128), nullable=False),
    Column("entity_name", String(200)),
    Column("details", Text, nullable=False),
    Column("labels", Text, nullable=False),
    Column("fired_at", BigInteger, nullable=False),
    Column("last_seen_at", BigInteger, nullable=False),
    Column("resolved_at", BigInteger),
    Column("resolution", Text),
    Column("acknowledged_at", BigInteger),
    Column("acknowledged_by", String(64)),
    Column("snoozed_until", BigInteger),
    Column("silenced", Boolean, nullable=False),
    # The severity last sent to the channels; NULL while nothing was sent (new or silenced).
    Column("notified_severity", String(16)),
    Column("notified_at", BigInteger),
    Index(
        "ix_alerts_active_key",
        "source",
        "type",
        "entity_type",
        "entity_id",
        unique=True,
        sqlite_where=text("status = 'active'"),
        postgresql_where=text("status = 'active'"),
    ),
    Index("ix_alerts_fired_at", "fired_at"),
    Index("ix_alerts_status", "status"),
)

silences = Table(
    "silences",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("matchers", Text, nullable=False),
    Column("starts_at", BigInteger, nullable=False),
    Column("ends_at", BigInteger, nullable=False),
    Column("created_by", String(64), nullable=False),
    Column("comment", Text, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("ended_early", Boolean, nullable=False),
    Column("expired_announced", Boolean, nullable=False),
    Index("ix_silences_ends_at", "ends_at"),
)

maintenance_windows = Table(
    "maintenance_windows",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("matchers", Text, nullable=False),
    Column("starts_at", BigInteger),
    Column("ends_at", BigInteger),
    Column("cron", String(100)),
    Column("duration_seconds", Integer),
    Column("timezone", String(64), nullable=False),
    Column("created_by", String(64), nullable=False),
    Column("comment", Text, nullable=False),
    Column("created_at", BigInteger, nullable=False),
)
