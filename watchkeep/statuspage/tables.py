"""The status page's groups, components, their status history, incidents with their updates,
the page's settings and the maintenance windows it announced. Times are epoch milliseconds
(UTC); JSON columns hold text."""

from sqlalchemy import BigInteger, Boolean, Column, ForeignKey, Index, Integer, String, Table, Text

from watchkeep.core.db.metadata import RowId, metadata

status_groups = Table(
    "status_groups",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("description", Text, nullable=False),
    Column("position", Integer, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
)

status_components = Table(
    "status_components",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("group_id", String(40), ForeignKey("status_groups.id", ondelete="SET NULL")),
    Column("name", String(100), nullable=False, unique=True),
    Column("slug", String(64), nullable=False, unique=True),
    Column("description", Text, nullable=False),
    Column("position", Integer, nullable=False),
    # [{"type": "heartbeat", "id": "hb_..."}]: monitors linked one by one
    Column("monitors", Text, nullable=False),
    # [{"type": "endpoint", "labels": {"k": "v"}}]: every monitor of that type with those labels
    Column("matches", Text, nullable=False),
    Column("override_status", String(20)),
    Column("auto_incident", Boolean, nullable=False),
    # The status the page shows (derived, or the override), and since when.
    Column("status", String(20), nullable=False),
    Column("status_since", BigInteger, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
)

status_component_transitions = Table(
    "status_component_transitions",
    metadata,
    Column("id", RowId, primary_key=True, autoincrement=True),
    Column("component_id", String(40), ForeignKey("status_components.id", ondelete="CASCADE"), nullable=False),
    Column("at", BigInteger, nullable=False),
    Column("status", String(20), nullable=False),
    Index("ix_status_component_transitions_component_id_at", "component_id", "at"),
)

status_incidents = Table(
    "status_incidents",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("title", String(200), nullable=False),
    Column("impact", String(10), nullable=False),
    # investigating | identified | monitoring | resolved: the latest update's
    Column("status", String(16), nullable=False),
    # The component whose outage opened it automatically; NULL for one written by a person.
    Column("auto_component_id", String(40)),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    Column("resolved_at", BigInteger),
    Index("ix_status_incidents_created_at", "created_at"),
    Index("ix_status_incidents_auto_component_id", "auto_component_id"),
)

status_incident_components = Table(
    "status_incident_components",
    metadata,
    Column("incident_id", String(40), ForeignKey("status_incidents.id", ondelete="CASCADE"), primary_key=True),
    Column("component_id", String(40), ForeignKey("status_components.id", ondelete="CASCADE"), primary_key=True),
)

status_incident_updates = Table(
    "status_incident_updates",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("incident_id", String(40), ForeignKey("status_incidents.id", ondelete="CASCADE"), nullable=False),
    Column("status", String(16), nullable=False),
    Column("message", Text, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Index("ix_status_incident_updates_incident_id_created_at", "incident_id", "created_at"),
    Index("ix_status_incident_updates_created_at", "created_at"),
)

# One row: the page's own words.
status_page = Table(
    "status_page",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("title", String(100), nullable=False),
    Column("description", Text, nullable=False),
    Column("logo_url", String(500), nullable=False),
    Column("footer", Text, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
)

# The maintenance windows the page saw open, so each start and end is announced once.
status_open_maintenance = Table(
    "status_open_maintenance",
    metadata,
    Column("window_id", String(40), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("opened_at", BigInteger, nullable=False),
)
