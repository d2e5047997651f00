"""Image updates: scans, each container's verdict, pins and exclusions; and the image facts
the containers report (RepoDigests, the image's labels and platform).

Revision ID: 0015
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
# agent_containers comes from the agents' branch
depends_on: str | Sequence[str] | None = "0002"


def upgrade() -> None:
    with op.batch_alter_table("agent_containers") as batch:
        batch.add_column(sa.Column("repo_digests", sa.Text))
        batch.add_column(sa.Column("image_labels", sa.Text))
        batch.add_column(sa.Column("platform", sa.String(64)))
    op.create_table(
        "update_scans",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("trigger", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("total", sa.Integer, nullable=False),
        sa.Column("checked", sa.Integer, nullable=False),
        sa.Column("found", sa.Integer, nullable=False),
        sa.Column("errors", sa.Integer, nullable=False),
        sa.Column("error", sa.Text),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("started_at", sa.BigInteger),
        sa.Column("finished_at", sa.BigInteger),
        sa.Column("heartbeat_at", sa.BigInteger),
    )
    op.create_index("ix_update_scans_status_created_at", "update_scans", ["status", "created_at"])
    op.create_table(
        "container_updates",
        sa.Column("container_id", sa.String(40), primary_key=True),
        sa.Column("agent_id", sa.String(40), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("image", sa.Text, nullable=False),
        sa.Column("registry", sa.String(255)),
        sa.Column("repository", sa.String(255)),
        sa.Column("tag", sa.String(128)),
        sa.Column("platform", sa.String(64)),
        sa.Column("current_digest", sa.String(100)),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("update_type", sa.String(8)),
        sa.Column("latest_tag", sa.String(128)),
        sa.Column("latest_digest", sa.String(100)),
        sa.Column("source_url", sa.Text),
        sa.Column("changelog_url", sa.Text),
        sa.Column("error", sa.Text),
        sa.Column("checked_at", sa.BigInteger, nullable=False),
        sa.Column("detected_at", sa.BigInteger),
        sa.Column("scan_id", sa.String(40)),
        sa.Column("raised", sa.Boolean, nullable=False),
    )
    op.create_index("ix_container_updates_status", "container_updates", ["status"])
    op.create_table(
        "update_pins",
        sa.Column("container_id", sa.String(40), primary_key=True),
        sa.Column("image", sa.Text, nullable=False),
        sa.Column("tag", sa.String(128)),
        sa.Column("digest", sa.String(100)),
        sa.Column("created_at", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "update_exclusions",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("image", sa.String(255), nullable=False),
        sa.Column("tag", sa.String(128)),
        sa.Column("reason", sa.Text),
        sa.Column("created_at", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_update_exclusions_image_tag", "update_exclusions", ["image", "tag"], unique=True)


def downgrade() -> None:
    op.drop_table("update_exclusions")
    op.drop_table("update_pins")
    op.drop_table("container_updates")
    op.drop_table("update_scans")
    with op.batch_alter_table("agent_containers") as batch:
        batch.drop_column("platform")
        batch.drop_column("image_labels")
        batch.drop_column("repo_digests")
