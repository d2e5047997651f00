"""The agent-token signing key is stored encrypted (core/crypto.py), longer than the key itself.

Revision ID: 0002s
Revises: 0002c
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002s"
down_revision: str | None = "0002c"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("agent_signing_keys") as batch:
        batch.alter_column("secret", type_=sa.Text(), existing_type=sa.String(length=128), existing_nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("agent_signing_keys") as batch:
        batch.alter_column("secret", type_=sa.String(length=128), existing_type=sa.Text(), existing_nullable=False)
