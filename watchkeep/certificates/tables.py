"""Certificate monitors and their check history. Times are epoch milliseconds (UTC); JSON
columns hold text."""

from sqlalchemy import BigInteger, Boolean, Column, Float, ForeignKey, Index, Integer, String, Table, Text

from watchkeep.core.db.metadata import RowId, metadata

certificate_monitors = Table(
    "certificate_monitors",
    metadata,
    Column("id", String(40), primary_key=True),
    # standalone | agent | endpoint; `origin` names what an automatic monitor follows
    # (the endpoint's id, or agent id/container/host:port), NULL for a standalone one.
    Column("source", String(12), nullable=False),
    Column("origin", String(600)),
    Column("agent_id", String(40)),
    Column("host", String(253), nullable=False),
    Column("port", Integer, nullable=False),
    Column("sni", String(253)),
    Column("interval_seconds", Integer, nullable=False),
    Column("thresholds", Text, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    # When the hub checks it next (claimed by compare-and-set); NULL: the hub never checks
    # it (an agent does).
    Column("next_check_at", BigInteger),
    # The latest check's facts the status is judged from (see certificates/status.py).
    Column("last_checked_at", BigInteger),
    Column("error", Text),
    Column("not_before", BigInteger),
    Column("not_after", BigInteger),
    Column("chain_reason", String(32)),
    Column("hostname_match", Boolean),
    Column("subject", Text),
    Column("issuer", Text),
    # The alert conditions raised now, {"expiring": 14, "chain_invalid": "self_signed", ...}.
    Column("raised", Text, nullable=False),
    Index("ix_certificate_monitors_origin", "source", "origin", unique=True),
    Index("ix_certificate_monitors_next_check_at", "next_check_at"),
)

certificate_checks = Table(
    "certificate_checks",
    metadata,
    Column("id", RowId, primary_key=True, autoincrement=True),
    Column("monitor_id", String(40), ForeignKey("certificate_monitors.id", ondelete="CASCADE"), nullable=False),
    Column("checked_at", BigInteger, nullable=False),
    Column("status", String(10), nullable=False),
    Column("duration_ms", Float),
    Column("error", Text),
    Column("subject", Text),
    Column("issuer", Text),
    Column("sans", Text, nullable=False),
    Column("serial", String(128)),
    Column("not_before", BigInteger),
    Column("not_after", BigInteger),
    Column("tls_version", String(16)),
    Column("key_type", String(32)),
    Column("key_bits", Integer),
    Column("chain", Text, nullable=False),
    Column("chain_valid", Boolean),
    Column("chain_reason", String(32)),
    Column("chain_detail", Text),
    Column("hostname_match", Boolean),
    Index("ix_certificate_checks_monitor_id_id", "monitor_id", "id"),
)
