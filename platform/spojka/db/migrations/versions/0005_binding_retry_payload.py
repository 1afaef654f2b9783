"""bindings: the payload of a failed write, to retry it on the next run

Stock levels and fulfilments are read once (the cursor moves on), so a write that failed keeps
what it tried to write here until a later run gets it through.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("bindings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("retry_payload", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("bindings", schema=None) as batch_op:
        batch_op.drop_column("retry_payload")
