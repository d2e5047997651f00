"""Webhook signing secrets are stored encrypted (core/crypto.py), longer than the secret itself.

Revision ID: 0004s
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004s"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("webhooks") as batch:
        batch.alter_column("secret", type_=sa.Text(), existing_type=sa.String(length=200), existing_nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("webhooks") as batch:
        batch.alter_column("secret", type_=sa.String(length=200), existing_type=sa.Text(), existing_nullable=False)
