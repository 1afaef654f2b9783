"""partners: OAuth2 clients, managed tenants, token signing keys, API keys, event endpoints

Partners, their clients and the signing keys are global (like users). The rest is tenant data with
row-level security; a partner sees its own rows through ``app.partner_id``, and the tenants it
manages through an extended policy on ``tenants``.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from spojka.db.migrations.rls import TENANT, USER, _is_postgres, disable_tenant_rls, enable_tenant_rls

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PARTNER = "NULLIF(current_setting('app.partner_id', true), '')::uuid"
MEMBER_TENANTS = f"id IN (SELECT tenant_id FROM memberships WHERE user_id = {USER})"
PARTNER_TENANTS = f"id IN (SELECT tenant_id FROM partner_tenants WHERE partner_id = {PARTNER})"
OWNED_BY_PARTNER = f"tenant_id = {TENANT} OR partner_id = {PARTNER}"


def _tenants_policy(using: str) -> None:
    if not _is_postgres():
        return
    op.execute("DROP POLICY IF EXISTS tenant_isolation ON tenants")
    op.execute(f"CREATE POLICY tenant_isolation ON tenants USING ({using}) WITH CHECK (id = {TENANT})")


def upgrade() -> None:
    op.create_table(
        "partners",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partners")),
        sa.UniqueConstraint("name", name=op.f("uq_partners_name")),
    )
    op.create_table(
        "token_signing_keys",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("sealed_key", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("verify_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_token_signing_keys")),
    )
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("prefix", sa.String(length=20), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("scopes", sa.String(length=500), nullable=False),
        sa.Column("rate_limit_per_minute", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_api_keys_created_by_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_api_keys_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_api_keys_key_hash")),
    )
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_keys_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "event_endpoints",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("partner_id", sa.Uuid(), nullable=True),
        sa.Column("tenant_id", sa.Uuid(), nullable=True),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("events", sa.String(length=500), nullable=False),
        sa.Column("sealed_secret", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["partners.id"],
            name=op.f("fk_event_endpoints_partner_id_partners"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_event_endpoints_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_endpoints")),
    )
    with op.batch_alter_table("event_endpoints", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_event_endpoints_partner_id"), ["partner_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_event_endpoints_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "partner_clients",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("partner_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("scopes", sa.String(length=500), nullable=False),
        sa.Column("rate_limit_per_minute", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["partners.id"],
            name=op.f("fk_partner_clients_partner_id_partners"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partner_clients")),
    )
    with op.batch_alter_table("partner_clients", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_partner_clients_partner_id"), ["partner_id"], unique=False)

    op.create_table(
        "partner_tenants",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("partner_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["partners.id"],
            name=op.f("fk_partner_tenants_partner_id_partners"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_partner_tenants_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partner_tenants")),
        sa.UniqueConstraint("tenant_id", name=op.f("uq_partner_tenants_tenant_id")),
    )
    with op.batch_alter_table("partner_tenants", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_partner_tenants_partner_id"), ["partner_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_partner_tenants_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "event_deliveries",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("endpoint_id", sa.Uuid(), nullable=False),
        sa.Column("partner_id", sa.Uuid(), nullable=True),
        sa.Column("tenant_id", sa.Uuid(), nullable=True),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("event_type", sa.String(length=60), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["endpoint_id"],
            ["event_endpoints.id"],
            name=op.f("fk_event_deliveries_endpoint_id_event_endpoints"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["partners.id"],
            name=op.f("fk_event_deliveries_partner_id_partners"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_event_deliveries_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_deliveries")),
    )
    with op.batch_alter_table("event_deliveries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_event_deliveries_endpoint_created", ["endpoint_id", "created_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_event_deliveries_tenant_id"), ["tenant_id"], unique=False)

    enable_tenant_rls("api_keys")
    enable_tenant_rls("partner_tenants", using=OWNED_BY_PARTNER, check=f"tenant_id = {TENANT}")
    # A partner's own endpoints have no tenant; a tenant's and the deliveries about a tenant do.
    partner_only = f"tenant_id = {TENANT} OR (tenant_id IS NULL AND partner_id = {PARTNER})"
    enable_tenant_rls("event_endpoints", using=OWNED_BY_PARTNER, check=partner_only)
    enable_tenant_rls("event_deliveries", using=OWNED_BY_PARTNER, check=partner_only)
    # A partner reads the tenants it manages (its client list) with only the partner bound.
    _tenants_policy(f"id = {TENANT} OR {MEMBER_TENANTS} OR {PARTNER_TENANTS}")


def downgrade() -> None:
    _tenants_policy(f"id = {TENANT} OR {MEMBER_TENANTS}")
    for table in ("event_deliveries", "event_endpoints", "partner_tenants", "api_keys"):
        disable_tenant_rls(table)
    with op.batch_alter_table("event_deliveries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_event_deliveries_tenant_id"))
        batch_op.drop_index("ix_event_deliveries_endpoint_created")

    op.drop_table("event_deliveries")
    with op.batch_alter_table("partner_tenants", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_partner_tenants_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_partner_tenants_partner_id"))

    op.drop_table("partner_tenants")
    with op.batch_alter_table("partner_clients", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_partner_clients_partner_id"))

    op.drop_table("partner_clients")
    with op.batch_alter_table("event_endpoints", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_event_endpoints_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_event_endpoints_partner_id"))

    op.drop_table("event_endpoints")
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_keys_tenant_id"))

    op.drop_table("api_keys")
    op.drop_table("token_signing_keys")
    op.drop_table("partners")
