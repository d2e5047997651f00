"""Heartbeat monitors, their pings, executions and state changes. Times are epoch
milliseconds (UTC)."""

from sqlalchemy import BigInteger, Boolean, Column, ForeignKey, Index, Integer, LargeBinary, String, Table, Text

from watchkeep.core.db.metadata import RowId, metadata

# SQLite assigns rowids only to a column declared exactly INTEGER PRIMARY KEY.

heartbeats = Table(
    "heartbeats",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("uuid", String(36), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("kind", String(8), nullable=False),
    Column("period_seconds", Integer),
    Column("grace_seconds", Integer, nullable=False),
    Column("cron", String(200)),
    Column("timezone", String(64), nullable=False),
    Column("methods", String(8), nullable=False),
    Column("manual_resume", Boolean, nullable=False),
    Column("tags", Text, nullable=False),
    Column("description", Text, nullable=False),
    # Stored status: new | up | started | down | paused ("grace" is derived from the time).
    Column("status", String(10), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    Column("last_ping_at", BigInteger),
    Column("last_start_at", BigInteger),
    Column("last_duration_ms", BigInteger),
    Column("last_exit_code", Integer),
    # When the next ping is due (late after it) and when the monitor goes down; the
    # deadlines worker claims rows by `down_at`, NULL when no deadline is armed.
    Column("next_deadline_at", BigInteger),
    Column("down_at", BigInteger),
    Column("ping_count", BigInteger, nullable=False),
    Index("ix_heartbeats_down_at", "down_at"),
)

heartbeat_pings = Table(
    "heartbeat_pings",
    metadata,
    Column("id", RowId, primary_key=True, autoincrement=True),
    Column("heartbeat_id", String(40), ForeignKey("heartbeats.id", ondelete="CASCADE"), nullable=False),
    Column("n", BigInteger, nullable=False),
    Column("at", BigInteger, nullable=False),
    Column("kind", String(8), nullable=False),
    Column("ignored", Boolean, nullable=False),
    Column("exit_code", Integer),
    Column("method", String(8), nullable=False),
    Column("source_ip", String(64), nullable=False),
    Column("user_agent", String(200), nullable=False),
    Column("body", LargeBinary, nullable=False),
    Column("body_size", Integer, nullable=False),
    Column("rid", String(36)),
    Index("ix_heartbeat_pings_heartbeat_id_n", "heartbeat_id", "n"),
)

heartbeat_executions = Table(
    "heartbeat_executions",
    metadata,
    Column("id", RowId, primary_key=True, autoincrement=True),
    Column("heartbeat_id", String(40), ForeignKey("heartbeats.id", ondelete="CASCADE"), nullable=False),
    Column("rid", String(36)),
    Column("started_at", BigInteger),
    Column("finished_at", BigInteger),
    Column("duration_ms", BigInteger),
    Column("exit_code", Integer),
    # success | failure | timeout | in_progress
    Column("outcome", String(12), nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    Index("ix_heartbeat_executions_heartbeat_id_outcome", "heartbeat_id", "outcome"),
    Index("ix_heartbeat_executions_updated_at", "updated_at"),
)

heartbeat_flips = Table(
    "heartbeat_flips",
    metadata,
    Column("id", RowId, primary_key=True, autoincrement=True),
    Column("heartbeat_id", String(40), ForeignKey("heartbeats.id", ondelete="CASCADE"), nullable=False),
    Column("at", BigInteger, nullable=False),
    Column("from_status", String(10), nullable=False),
    Column("to_status", String(10), nullable=False),
    Column("reason", String(40), nullable=False),
    Index("ix_heartbeat_flips_heartbeat_id_at", "heartbeat_id", "at"),
)
