"""The event log and its consumers' cursors. Times are epoch milliseconds (UTC)."""

from sqlalchemy import BigInteger, Column, Index, String, Table, Text

from watchkeep.core.db.metadata import RowId, metadata

# SQLite assigns rowids only to a column declared exactly INTEGER PRIMARY KEY; AUTOINCREMENT
# keeps it from reusing the ids of deleted rows, so ids only grow even after retention.

event_log = Table(
    "event_log",
    metadata,
    Column("id", RowId, primary_key=True, autoincrement=True),
    Column("type", String(64), nullable=False),
    Column("subject_kind", String(32), nullable=False),
    Column("subject_id", String(128), nullable=False),
    Column("data", Text, nullable=False),  # JSON: the event's fields
    Column("at", BigInteger, nullable=False),
    Index("ix_event_log_at", "at"),
    sqlite_autoincrement=True,
)

# One row per consumer of the log: how far it has reacted, and which replica holds it.
event_consumers = Table(
    "event_consumers",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("position", BigInteger, nullable=False),
    Column("holder", String(64)),
    Column("lease_until", BigInteger),
    Column("updated_at", BigInteger, nullable=False),
)
