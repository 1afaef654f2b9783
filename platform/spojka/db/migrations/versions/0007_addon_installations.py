"""add-on installations

Which e-shop installed Spojka as an add-on, in which tenant and connection. An anonymous install
call sees the one row of the e-shop it has just proven (``app.install_key``), nothing more.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from spojka.db.migrations.rls import TENANT, disable_tenant_rls, enable_tenant_rls

INSTALL_KEY_SETTING = "NULLIF(current_setting('app.install_key', true), '')"

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "addon_installations",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("connector", sa.String(length=100), nullable=False),
        sa.Column("remote_id", sa.String(length=200), nullable=False),
        sa.Column("connection_id", sa.Uuid(), nullable=True),
        sa.Column("installed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reinstalled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["connections.id"],
            name=op.f("fk_addon_installations_connection_id_connections"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_addon_installations_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_addon_installations")),
        sa.UniqueConstraint(
            "connector", "remote_id", name=op.f("uq_addon_installations_connector_remote_id")
        ),
    )
    with op.batch_alter_table("addon_installations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_addon_installations_tenant_id"), ["tenant_id"], unique=False)

    enable_tenant_rls(
        "addon_installations",
        using=f"tenant_id = {TENANT} OR connector || ':' || remote_id = {INSTALL_KEY_SETTING}",
        check=f"tenant_id = {TENANT}",
    )


def downgrade() -> None:
    disable_tenant_rls("addon_installations")
    with op.batch_alter_table("addon_installations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_addon_installations_tenant_id"))
    op.drop_table("addon_installations")
