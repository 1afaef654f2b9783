"""flow health

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from spojka.db.migrations.rls import disable_tenant_rls, enable_tenant_rls

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "flow_health",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("link_id", sa.Uuid(), nullable=False),
        sa.Column("flow", sa.String(length=20), nullable=False),
        sa.Column("failures_in_row", sa.Integer(), nullable=False),
        sa.Column("alerted", sa.Boolean(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["link_id"], ["links.id"], name=op.f("fk_flow_health_link_id_links"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_flow_health_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flow_health")),
        sa.UniqueConstraint("link_id", "flow", name=op.f("uq_flow_health_link_id_flow")),
    )
    with op.batch_alter_table("flow_health", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_flow_health_tenant_id"), ["tenant_id"], unique=False)

    enable_tenant_rls("flow_health")


def downgrade() -> None:
    disable_tenant_rls("flow_health")
    with op.batch_alter_table("flow_health", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_flow_health_tenant_id"))

    op.drop_table("flow_health")
