"""Endpoint monitors, their raw check results and hourly rollups. Times are epoch
milliseconds (UTC)."""

from sqlalchemy import BigInteger, Boolean, Column, Float, ForeignKey, Index, Integer, String, Table, Text, false, true

from watchkeep.core.db.metadata import RowId, metadata

endpoints = Table(
    "endpoints",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("type", String(8), nullable=False),
    Column("target", Text, nullable=False),
    Column("interval_seconds", Integer, nullable=False),
    Column("timeout_seconds", Float, nullable=False),
    Column("failure_threshold", Integer, nullable=False),
    Column("recovery_threshold", Integer, nullable=False),
    # The type's own settings as JSON ({"http": {...}}); secret header values sealed.
    Column("config", Text, nullable=False),
    Column("paused", Boolean, nullable=False),
    # unknown | up | down: the status after the thresholds (shown as unknown while paused).
    Column("status", String(10), nullable=False),
    Column("consecutive_failures", Integer, nullable=False),
    Column("consecutive_successes", Integer, nullable=False),
    Column("status_since", BigInteger),
    Column("last_check_at", BigInteger),
    Column("last_result", String(10)),
    Column("last_response_ms", Float),
    Column("last_http_status", Integer),
    Column("last_error", Text),
    # The newest results, [[at, response ms or null, 1 up | 0 down], ...]: the sparklines
    # read every endpoint's in one query without touching the results table.
    Column("recent", Text, nullable=False),
    # The scheduler's due time (NULL while paused) and the lease of a check in flight: a
    # replica claims a row only when it is due and not leased, so no endpoint is checked
    # twice at once.
    Column("next_check_at", BigInteger),
    Column("lease_until", BigInteger),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    # manual (the API made it) | discovered (a container's labels declare it)
    Column("source", String(16), nullable=False, server_default="manual"),
    # A discovered endpoint's container (its public id) and declaration key ("" or the index)
    Column("container_id", String(40)),
    Column("discovery_key", String(8)),
    # False once its container was removed: no checks, history kept, shown inactive
    Column("active", Boolean, nullable=False, server_default=true()),
    # True while its container is not running: no checks, shown unknown (no alert)
    Column("suspended", Boolean, nullable=False, server_default=false()),
    # Where it is checked from: a JSON list of "hub" and agent ids; the status follows the rule
    Column("locations", Text, nullable=False, server_default='["hub"]'),
    Column("location_rule", String(10), nullable=False, server_default="any"),
    Index("ix_endpoints_next_check_at", "next_check_at"),
    Index("ix_endpoints_container_id", "container_id"),
)

# Each location's own counters and status, for endpoints checked from more than one place.
endpoint_locations = Table(
    "endpoint_locations",
    metadata,
    Column("endpoint_id", String(40), ForeignKey("endpoints.id", ondelete="CASCADE"), primary_key=True),
    Column("location", String(40), primary_key=True),
    Column("status", String(10), nullable=False),
    Column("consecutive_failures", Integer, nullable=False),
    Column("consecutive_successes", Integer, nullable=False),
    Column("last_check_at", BigInteger),
    Column("last_result", String(10)),
    Column("last_response_ms", Float),
    Column("last_http_status", Integer),
    Column("last_error", Text),
)

endpoint_results = Table(
    "endpoint_results",
    metadata,
    Column("id", RowId, primary_key=True, autoincrement=True),
    Column("endpoint_id", String(40), ForeignKey("endpoints.id", ondelete="CASCADE"), nullable=False),
    Column("at", BigInteger, nullable=False),
    Column("status", String(10), nullable=False),
    Column("response_ms", Float),
    Column("http_status", Integer),
    Column("error", Text),
    # "hub" or the agent that checked; NULL for results stored before locations existed
    Column("location", String(40)),
    Index("ix_endpoint_results_endpoint_id_at", "endpoint_id", "at"),
    Index("ix_endpoint_results_at", "at"),
)

# One row per endpoint and UTC hour, added to by every result: daily uptime and long
# response-time ranges read these, never the raw results.
endpoint_rollups = Table(
    "endpoint_rollups",
    metadata,
    Column("endpoint_id", String(40), ForeignKey("endpoints.id", ondelete="CASCADE"), primary_key=True),
    Column("hour", BigInteger, primary_key=True),
    Column("checks", Integer, nullable=False),
    Column("up_checks", Integer, nullable=False),
    Column("timed_checks", Integer, nullable=False),
    Column("response_sum_ms", Float, nullable=False),
    Column("response_max_ms", Float),
    Column("response_min_ms", Float),
)
