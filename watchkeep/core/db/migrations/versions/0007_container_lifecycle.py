"""Containers: a public id unique across hosts, archiving instead of forgetting, and the
state transitions of each container.

Revision ID: 0007
Revises: 0006
"""

import hashlib
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_row_id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _public_id(agent_id: str, container_id: str) -> str:
    # The same function as watchkeep.containers.model.public_id, frozen here with the schema.
    return "ctr_" + hashlib.sha256(f"{agent_id}/{container_id}".encode()).hexdigest()[:24]


def upgrade() -> None:
    with op.batch_alter_table("agent_containers") as batch:
        batch.add_column(sa.Column("public_id", sa.String(length=40), nullable=True))
        batch.add_column(sa.Column("archived_at", sa.BigInteger(), nullable=True))
    conn = op.get_bind()
    table = sa.table(
        "agent_containers",
        sa.column("agent_id", sa.String),
        sa.column("container_id", sa.String),
        sa.column("public_id", sa.String),
    )
    for agent_id, container_id in conn.execute(sa.select(table.c.agent_id, table.c.container_id)).all():
        conn.execute(
            table.update()
            .where(table.c.agent_id == agent_id, table.c.container_id == container_id)
            .values(public_id=_public_id(agent_id, container_id))
        )
    op.create_index("ix_agent_containers_public_id", "agent_containers", ["public_id"], unique=True)
    op.create_table(
        "container_transitions",
        sa.Column("id", _row_id, autoincrement=True, nullable=False),
        sa.Column("public_id", sa.String(length=40), nullable=False),
        sa.Column("at", sa.BigInteger(), nullable=False),
        sa.Column("from_state", sa.String(length=32), nullable=True),
        sa.Column("to_state", sa.String(length=32), nullable=True),
        sa.Column("from_health", sa.String(length=32), nullable=True),
        sa.Column("to_health", sa.String(length=32), nullable=True),
        sa.Column("exit_code", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_container_transitions")),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_container_transitions_public_id_at", "container_transitions", ["public_id", "at"])


def downgrade() -> None:
    op.drop_index("ix_container_transitions_public_id_at", table_name="container_transitions")
    op.drop_table("container_transitions")
    op.drop_index("ix_agent_containers_public_id", table_name="agent_containers")
    with op.batch_alter_table("agent_containers") as batch:
        batch.drop_column("archived_at")
        batch.drop_column("public_id")
