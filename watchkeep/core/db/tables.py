"""Tables of the core's own machinery. Times are epoch milliseconds (UTC)."""

from sqlalchemy import BigInteger, Column, String, Table

from watchkeep.core.db.metadata import metadata

# Background jobs that one replica at a time runs once per interval: the next due time,
# claimed with a compare-and-set (core/jobs.py).
scheduled_jobs = Table(
    "scheduled_jobs",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("due_at", BigInteger, nullable=False),
)
