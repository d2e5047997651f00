"""The public status page: groups, components, their status history, incidents and their
updates, the page's settings, the maintenance windows it announced.

Revision ID: 0014
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_row_id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "status_groups",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("updated_at", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_status_groups"),
        sa.UniqueConstraint("name", name="uq_status_groups_name"),
    )
    op.create_table(
        "status_components",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("group_id", sa.String(40)),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("slug", sa.String(64), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("monitors", sa.Text, nullable=False),
        sa.Column("matches", sa.Text, nullable=False),
        sa.Column("override_status", sa.String(20)),
        sa.Column("auto_incident", sa.Boolean, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("status_since", sa.BigInteger, nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("updated_at", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_status_components"),
        sa.ForeignKeyConstraint(
            ["group_id"], ["status_groups.id"], name="fk_status_components_group_id_status_groups", ondelete="SET NULL"
        ),
        sa.UniqueConstraint("name", name="uq_status_components_name"),
        sa.UniqueConstraint("slug", name="uq_status_components_slug"),
    )
    op.create_table(
        "status_component_transitions",
        sa.Column("id", _row_id, autoincrement=True, nullable=False),
        sa.Column("component_id", sa.String(40), nullable=False),
        sa.Column("at", sa.BigInteger, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_status_component_transitions"),
        sa.ForeignKeyConstraint(
            ["component_id"],
            ["status_components.id"],
            name="fk_status_component_transitions_component_id_status_components",
            ondelete="CASCADE",
        ),
    )
    op.create_index(
        "ix_status_component_transitions_component_id_at", "status_component_transitions", ["component_id", "at"]
    )
    op.create_table(
        "status_incidents",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("impact", sa.String(10), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("auto_component_id", sa.String(40)),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("updated_at", sa.BigInteger, nullable=False),
        sa.Column("resolved_at", sa.BigInteger),
        sa.PrimaryKeyConstraint("id", name="pk_status_incidents"),
    )
    op.create_index("ix_status_incidents_created_at", "status_incidents", ["created_at"])
    op.create_index("ix_status_incidents_auto_component_id", "status_incidents", ["auto_component_id"])
    op.create_table(
        "status_incident_components",
        sa.Column("incident_id", sa.String(40), nullable=False),
        sa.Column("component_id", sa.String(40), nullable=False),
        sa.PrimaryKeyConstraint("incident_id", "component_id", name="pk_status_incident_components"),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["status_incidents.id"],
            name="fk_status_incident_components_incident_id_status_incidents",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["component_id"],
            ["status_components.id"],
            name="fk_status_incident_components_component_id_status_components",
            ondelete="CASCADE",
        ),
    )
    op.create_table(
        "status_incident_updates",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("incident_id", sa.String(40), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_status_incident_updates"),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["status_incidents.id"],
            name="fk_status_incident_updates_incident_id_status_incidents",
            ondelete="CASCADE",
        ),
    )
    op.create_index(
        "ix_status_incident_updates_incident_id_created_at", "status_incident_updates", ["incident_id", "created_at"]
    )
    op.create_index("ix_status_incident_updates_created_at", "status_incident_updates", ["created_at"])
    page = op.create_table(
        "status_page",
        sa.Column("id", sa.Integer, autoincrement=False, nullable=False),
        sa.Column("title", sa.String(100), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("logo_url", sa.String(500), nullable=False),
        sa.Column("footer", sa.Text, nullable=False),
        sa.Column("updated_at", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_status_page"),
    )
    defaults = {"id": 1, "title": "Status", "description": "", "logo_url": "", "footer": "", "updated_at": 0}
    op.bulk_insert(page, [defaults])
    op.create_table(
        "status_open_maintenance",
        sa.Column("window_id", sa.String(40), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("opened_at", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("window_id", name="pk_status_open_maintenance"),
    )


def downgrade() -> None:
    for table in (
        "status_open_maintenance",
        "status_page",
        "status_incident_updates",
        "status_incident_components",
        "status_incidents",
        "status_component_transitions",
        "status_components",
        "status_groups",
    ):
        op.drop_table(table)
