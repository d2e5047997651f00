"""Agents, the key that signs their short-lived tokens, and the check results they report.
Times are epoch milliseconds (UTC)."""

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
)

from watchkeep.core.db.metadata import metadata

agents = Table(
    "agents",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("name", String(200), nullable=False),
    # name and hostname together: registering the same pair again finds the same agent
    Column("identity", String(460), nullable=False, unique=True),
    Column("type", String(16), nullable=False),
    Column("hostname", String(255)),
    Column("platform", String(64)),
    Column("os", String(200)),
    Column("kernel", String(200)),
    Column("version", String(64)),
    Column("region", String(64)),
    Column("labels", Text, nullable=False),
    Column("endpoint", String(500)),
    Column("platform_id", String(100)),
    Column("push_interval_seconds", Integer, nullable=False),
    Column("status", String(16), nullable=False),
    Column("status_changed_at", BigInteger, nullable=False),
    Column("last_seen_at", BigInteger),
    Column("last_heartbeat_at", BigInteger),
    Column("last_payload_at", BigInteger),  # the newest payload's own time
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    Column("token_hash", String(64), unique=True),
    Column("agent_key_hash", String(64), unique=True),
    Column("token_generation", Integer, nullable=False),
    Column("config", Text),
    Column("dropped_payloads", BigInteger, nullable=False),
    Column("collector_errors", Text, nullable=False),
    Column("uptime_seconds", Float),
    Column("server_healthy", Boolean),
    # Changed by every stored payload: tells a hub whether its memory of this agent's
    # stored rows is still current (agents/ingest/memory.py).
    Column("ingest_stamp", String(32)),
)

agent_signing_keys = Table(
    "agent_signing_keys",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("secret", Text, nullable=False),  # sealed (core/crypto.py)
    Column("created_at", BigInteger, nullable=False),
)

# The latest result of each check an agent runs: `kind` is http, tcp or cert; `target` is
# the URL (http) or host:port (tcp, cert).
agent_checks = Table(
    "agent_checks",
    metadata,
    Column("agent_id", String(40), nullable=False),
    Column("kind", String(8), nullable=False),
    Column("container_name", String(255), nullable=False),
    Column("target", String(500), nullable=False),
    Column("name", String(255)),
    Column("success", Boolean, nullable=False),
    Column("status_code", Integer),
    Column("duration_ms", Float),
    Column("checked_at", BigInteger, nullable=False),
    Column("error", Text),
    Column("expires_at", String(64)),
    Column("days_until_expiry", Float),
    Column("issuer", Text),
    Column("subject", Text),
    PrimaryKeyConstraint("agent_id", "kind", "container_name", "target"),
    sqlite_with_rowid=False,
)
