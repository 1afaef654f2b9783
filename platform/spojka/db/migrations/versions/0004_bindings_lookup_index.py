"""bindings: unique key led by tenant_id

The engine looks bindings up by (tenant, link, entity, source id). With the old key on (link,
entity, source id), SQLite (never analysed) and a stale PostgreSQL planner chose the plain tenant
index and filtered every binding of the tenant for each lookup.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("bindings", schema=None) as batch_op:
        batch_op.drop_constraint("uq_bindings_link_id_entity_source_id", type_="unique")
        batch_op.create_unique_constraint(
            "uq_bindings_tenant_id_link_id_entity_source_id", ["tenant_id", "link_id", "entity", "source_id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("bindings", schema=None) as batch_op:
        batch_op.drop_constraint("uq_bindings_tenant_id_link_id_entity_source_id", type_="unique")
        batch_op.create_unique_constraint(
            "uq_bindings_link_id_entity_source_id", ["link_id", "entity", "source_id"]
        )
