"""connection webhooks status

The outcome of registering a connection's webhooks at the e-shop, kept apart from its last check
(which it used to overwrite: a working connection could look broken, and a broken one checked).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("connections", schema=None) as batch_op:
        batch_op.add_column(sa.Column("webhooks_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("webhooks_ok", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("webhooks_message", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("connections", schema=None) as batch_op:
        batch_op.drop_column("webhooks_message")
        batch_op.drop_column("webhooks_ok")
        batch_op.drop_column("webhooks_at")
