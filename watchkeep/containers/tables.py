"""The container inventory: one row per agent and container id, upserted by each report.
Times are epoch milliseconds (UTC)."""

from sqlalchemy import BigInteger, Column, Index, Integer, PrimaryKeyConstraint, String, Table, Text

from watchkeep.core.db.metadata import metadata

agent_containers = Table(
    "agent_containers",
    metadata,
    Column("agent_id", String(40), nullable=False),
    Column("container_id", String(128), nullable=False),
    Column("name", String(255), nullable=False),
    Column("image", Text),
    Column("image_id", String(200)),
    Column("state", String(32)),
    Column("status", String(200)),
    Column("health", String(32)),
    Column("restart_count", Integer),
    Column("labels", Text),
    Column("ports", Text),
    Column("mounts", Text),
    Column("network_mode", String(64)),
    Column("created", BigInteger),
    Column("first_seen_at", BigInteger, nullable=False),
    Column("last_seen_at", BigInteger, nullable=False),
    PrimaryKeyConstraint("agent_id", "container_id"),
    Index("ix_agent_containers_agent_id_name", "agent_id", "name"),
    sqlite_with_rowid=False,
)
