"""The container inventory: one row per agent and container id, upserted by each report,
archived (not forgotten) when the container goes away; and each container's transitions.
Times are epoch milliseconds (UTC)."""

from sqlalchemy import BigInteger, Boolean, Column, Index, Integer, PrimaryKeyConstraint, String, Table, Text

from watchkeep.core.db.metadata import RowId, metadata

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
    # The image's facts for update checks (JSON lists/objects as text; updates/)
    Column("repo_digests", Text),
    Column("image_labels", Text),
    Column("platform", String(64)),
    Column("first_seen_at", BigInteger, nullable=False),
    Column("last_seen_at", BigInteger, nullable=False),
    # The API's id: unique across hosts, the same across restarts (model.public_id)
    Column("public_id", String(40)),
    # When a full inventory no longer listed it; None while it exists
    Column("archived_at", BigInteger),
    PrimaryKeyConstraint("agent_id", "container_id"),
    Index("ix_agent_containers_agent_id_name", "agent_id", "name"),
    Index("ix_agent_containers_public_id", "public_id", unique=True),
    sqlite_with_rowid=False,
)

container_transitions = Table(
    "container_transitions",
    metadata,
    Column("id", RowId, primary_key=True, autoincrement=True),
    Column("public_id", String(40), nullable=False),
    Column("at", BigInteger, nullable=False),
    # None before a container's first report; "removed" once archived
    Column("from_state", String(32)),
    Column("to_state", String(32)),
    Column("from_health", String(32)),
    Column("to_health", String(32)),
    Column("exit_code", Integer),
    Column("oom_killed", Boolean),
    # On an exit: completed | failed (containers/exits.py)
    Column("outcome", String(16)),
    # On a die of a local container: its last log lines, a JSON list of {stream, at, text}
    Column("log_tail", Text),
    # Restarts this transition stands for (growth of the engine's restart count)
    Column("restarts", Integer),
    Index("ix_container_transitions_public_id_at", "public_id", "at"),
    sqlite_autoincrement=True,
)

# A restart loop while it lasts: N restarts within the window. `due_at` is when the window may
# no longer hold N of them; the loop that checks it claims the row by a conditional update.
container_restart_loops = Table(
    "container_restart_loops",
    metadata,
    Column("public_id", String(40), primary_key=True),
    Column("agent_id", String(40), nullable=False),
    Column("name", String(255), nullable=False),
    Column("threshold", Integer, nullable=False),
    Column("window_ms", BigInteger, nullable=False),
    Column("restarts", Integer, nullable=False),
    Column("started_at", BigInteger, nullable=False),
    Column("due_at", BigInteger, nullable=False),
    Index("ix_container_restart_loops_due_at", "due_at"),
)

# Log lines the agents sent (answers to log requests, and the last lines of a container that
# died), the newest few per container (containers/logs.py prunes the rest).
container_log_lines = Table(
    "container_log_lines",
    metadata,
    Column("id", RowId, primary_key=True, autoincrement=True),
    Column("public_id", String(40), nullable=False),
    Column("stream", String(8), nullable=False),
    Column("at", BigInteger, nullable=False),
    # The engine's own RFC 3339 time (nanoseconds): shown as given, and how a line sent twice is known
    Column("at_text", String(40), nullable=False),
    Column("text", Text, nullable=False),
    Column("reason", String(16), nullable=False),
    Column("received_at", BigInteger, nullable=False),
    Index("ix_container_log_lines_public_id_at", "public_id", "at"),
    sqlite_autoincrement=True,
)

# What the hub asked an agent for; listed in the agent's config until answered (or, when
# following, until `follow_until`).
container_log_requests = Table(
    "container_log_requests",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("public_id", String(40), nullable=False),
    Column("agent_id", String(40), nullable=False),
    Column("container_id", String(128), nullable=False),
    Column("container_name", String(255), nullable=False),
    Column("tail", Integer, nullable=False),
    Column("since", BigInteger),
    Column("stream", String(8)),
    Column("follow_until", BigInteger),
    Column("created_at", BigInteger, nullable=False),
    Column("answered_at", BigInteger),
    Index("ix_container_log_requests_agent_id", "agent_id"),
    Index("ix_container_log_requests_public_id", "public_id"),
)
