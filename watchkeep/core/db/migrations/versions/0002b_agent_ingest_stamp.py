"""The stamp of an agent's last stored payload (see agents/ingest/memory.py).

Revision ID: 0002b
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002b"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("agents", sa.Column("ingest_stamp", sa.String(32)))


def downgrade() -> None:
    with op.batch_alter_table("agents") as batch:
        batch.drop_column("ingest_stamp")
