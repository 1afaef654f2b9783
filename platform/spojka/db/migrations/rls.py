"""Row-level security DDL for PostgreSQL (Alembic has no operations for it).

Every tenant table gets RLS enabled *and forced* (so even the table owner is filtered) with one
policy keyed on the transaction-local setting ``app.tenant_id``. ``NULLIF`` matters: once a local
setting has been used on a connection, ``current_setting`` returns ``''`` rather than NULL.
"""

from __future__ import annotations

from alembic import op

TENANT = "NULLIF(current_setting('app.tenant_id', true), '')::uuid"
USER = "NULLIF(current_setting('app.user_id', true), '')::uuid"


def _is_postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def enable_tenant_rls(table: str, *, using: str | None = None, check: str | None = None) -> None:
    """Enable and force RLS on ``table`` with the tenant policy (or the given expressions)."""
    if not _is_postgres():
        return
    using = using or f"tenant_id = {TENANT}"
    check = check or f"tenant_id = {TENANT}"
    op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
    op.execute(f"DROP POLICY IF EXISTS tenant_isolation ON {table}")
    op.execute(f"CREATE POLICY tenant_isolation ON {table} USING ({using}) WITH CHECK ({check})")


def disable_tenant_rls(table: str) -> None:
    if not _is_postgres():
        return
    op.execute(f"DROP POLICY IF EXISTS tenant_isolation ON {table}")
    op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
