"""Image update state: each container's latest verdict, the scans that made them, pins and
exclusions. Times are epoch milliseconds (UTC); JSON columns hold text."""

from sqlalchemy import BigInteger, Boolean, Column, Index, Integer, String, Table, Text

from watchkeep.core.db.metadata import metadata

# A scan: queued by the API or the schedule, claimed by one replica (queued → running by a
# compare-and-set), then completed or failed.
update_scans = Table(
    "update_scans",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("trigger", String(16), nullable=False),  # manual | schedule
    Column("status", String(16), nullable=False),  # queued | running | completed | failed
    Column("total", Integer, nullable=False),
    Column("checked", Integer, nullable=False),
    Column("found", Integer, nullable=False),
    Column("errors", Integer, nullable=False),
    Column("error", Text),
    Column("created_at", BigInteger, nullable=False),
    Column("started_at", BigInteger),
    Column("finished_at", BigInteger),
    # While running: when the claiming replica last said it is alive; a scan whose replica
    # went away is taken over once this is old.
    Column("heartbeat_at", BigInteger),
    Index("ix_update_scans_status_created_at", "status", "created_at"),
)

# The verdict of the latest scan on each container (the containers domain's public id).
container_updates = Table(
    "container_updates",
    metadata,
    Column("container_id", String(40), primary_key=True),
    Column("agent_id", String(40), nullable=False),
    Column("name", String(255), nullable=False),
    Column("image", Text, nullable=False),
    Column("registry", String(255)),
    Column("repository", String(255)),
    Column("tag", String(128)),
    Column("platform", String(64)),
    Column("current_digest", String(100)),
    # available | up_to_date | pinned | excluded | disabled | unsupported | error
    Column("status", String(16), nullable=False),
    Column("update_type", String(8)),  # major | minor | patch | digest
    Column("latest_tag", String(128)),
    Column("latest_digest", String(100)),
    Column("source_url", Text),
    Column("changelog_url", Text),
    Column("error", Text),
    Column("checked_at", BigInteger, nullable=False),
    # When the update it shows was first seen (kept while the same update stays available)
    Column("detected_at", BigInteger),
    Column("scan_id", String(40)),
    # True while an update.detected for it is out and not yet resolved (its alert fires)
    Column("raised", Boolean, nullable=False),
    Index("ix_container_updates_status", "status"),
)

update_pins = Table(
    "update_pins",
    metadata,
    Column("container_id", String(40), primary_key=True),
    Column("image", Text, nullable=False),
    Column("tag", String(128)),
    Column("digest", String(100)),
    Column("created_at", BigInteger, nullable=False),
)

# Exclusions: shell-style globs on the image name and (optionally) the tag.
update_exclusions = Table(
    "update_exclusions",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("image", String(255), nullable=False),
    Column("tag", String(128)),
    Column("reason", Text),
    Column("created_at", BigInteger, nullable=False),
    Index("ix_update_exclusions_image_tag", "image", "tag", unique=True),
)
