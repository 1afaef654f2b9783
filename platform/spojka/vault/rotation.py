"""Key maintenance across every tenant: re-seal under the active key, retire old keys, report usage.

These functions take the *maintenance* database (``SPOJKA_MIGRATION_DATABASE_URL``): on PostgreSQL
they must see every tenant's rows, so they refuse a role that row-level security applies to rather
than mistake "cannot see" for "nothing left".

Rotation is resumable: each batch commits on its own and only rows not yet sealed with the active
key are picked, so after a crash one simply runs it again. A row changed by a live write while it
is being re-sealed is left to that write (the update is conditional on the envelope read).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, func, not_, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from spojka.db import Database, is_postgres, utcnow
from spojka.vault.crypto import ENVELOPE_VERSION, KeyRing, VaultError, secret_aad, validate_key_id
from spojka.vault.models import SealedSecret, VaultKey
from spojka.vault.service import open_row
from spojka.vault.verification import verifier_matches, verify_key_ring

__all__ = (
    "KeyInUseError",
    "KeyUsage",
    "ProgressCallback",
    "RetireRefusedError",
    "count_to_rotate",
    "key_usage",
    "retire",
    "rotate",
)

#: Called after each committed batch with (rows re-sealed so far, rows that needed it at the start).
ProgressCallback = Callable[[int, int], None]


class RetireRefusedError(VaultError):
    """A key cannot be retired (it is active, unknown, or still in use)."""


class KeyInUseError(RetireRefusedError):
    """Stored credentials are still sealed with the key."""

    def __init__(self, key_id: str, count: int) -> None:
        self.key_id = key_id
        self.count = count
        noun = "credential is" if count == 1 else "credentials are"
        super().__init__(
            f"key {key_id!r} cannot be retired: {count} stored {noun} still sealed with it; "
            "run `spojka keys rotate` first"
        )


@dataclass(frozen=True, slots=True)
class KeyUsage:
    """One key as ``spojka keys status`` reports it."""

    key_id: str
    active: bool
    in_ring: bool
    recorded: bool
    verified: bool | None  # None: nothing to verify (no record, or not in the ring)
    created_at: datetime | None
    retired_at: datetime | None
    sealed: int


async def _require_full_visibility(session: AsyncSession) -> None:
    """On PostgreSQL, refuse a role that row-level security filters (it would see no rows)."""
    if not is_postgres(session):
        return
    row = (
        await session.execute(
            text(
                "SELECT current_user AS name, rolsuper OR rolbypassrls AS sees_all "
                "FROM pg_roles WHERE rolname = current_user"
            )
        )
    ).one()
    if not row.sees_all:
        msg = (
            f"the maintenance database connection logs in as role {row.name!r}, which row-level "
            "security applies to, so it cannot see every tenant's credentials. Point "
            "SPOJKA_MIGRATION_DATABASE_URL at a role with BYPASSRLS (or a superuser)"
        )
        raise VaultError(msg)


def _sealed_with(key_id: str) -> ColumnElement[bool]:
    """Rows sealed with ``key_id``: by their key column or, defensively, by their envelope's header."""
    return or_(
        SealedSecret.key_id == key_id,
        SealedSecret.envelope.startswith(f"{ENVELOPE_VERSION}.{key_id}.", autoescape=True),
    )


def _not_sealed_with(key_id: str) -> ColumnElement[bool]:
    return not_(
        and_(
            SealedSecret.key_id == key_id,
            SealedSecret.envelope.startswith(f"{ENVELOPE_VERSION}.{key_id}.", autoescape=True),
        )
    )


async def count_to_rotate(admin_db: Database, ring: KeyRing) -> int:
    """How many stored credentials are not sealed with the ring's active key."""
    async with admin_db.session() as session:
        await _require_full_visibility(session)
        return int(
            await session.scalar(
                select(func.count()).select_from(SealedSecret).where(_not_sealed_with(ring.active_id))
            )
            or 0
        )


async def rotate(
    admin_db: Database,
    ring: KeyRing,
    batch_size: int = 500,
    progress: ProgressCallback | None = None,
) -> int:
    """Re-seal every credential not sealed with the active key; returns how many were re-sealed.

    The ring is verified first (which records the active key if it is new). Each batch is opened
    with the keys that sealed it, re-sealed with the active key and the same associated data, and
    committed on its own; ``progress`` runs after each commit. Rerun after an interruption.
    """
    if batch_size < 1:
        msg = "batch_size must be at least 1"
        raise ValueError(msg)
    await verify_key_ring(admin_db, ring)
    active = ring.active_id
    total = await count_to_rotate(admin_db, ring)
    done = 0
    while True:
        async with admin_db.session() as session:
            rows = (
                await session.execute(
                    select(
                        SealedSecret.id,
                        SealedSecret.tenant_id,
                        SealedSecret.owner_id,
                        SealedSecret.field,
                        SealedSecret.key_id,
                        SealedSecret.envelope,
                    )
                    .where(_not_sealed_with(active))
                    .order_by(SealedSecret.id)
                    .limit(batch_size)
                )
            ).all()
            if not rows:
                break
            for row in rows:
                plaintext = open_row(
                    ring,
                    tenant_id=row.tenant_id,
                    owner_id=row.owner_id,
                    field=row.field,
                    key_id=row.key_id,
                    envelope=row.envelope,
                    repair=True,
                )
                envelope = ring.seal(plaintext, secret_aad(row.tenant_id, row.owner_id, row.field))
                del plaintext
                result = await session.execute(
                    update(SealedSecret)
                    .where(SealedSecret.id == row.id, SealedSecret.envelope == row.envelope)
                    .values(key_id=active, envelope=envelope, updated_at=utcnow())
                    .execution_options(synchronize_session=False)
                )
                done += int(getattr(result, "rowcount", 0) or 0)
        if progress is not None:
            progress(done, max(total, done))
    return done


async def retire(admin_db: Database, ring: KeyRing, key_id: str) -> datetime:
    """Mark ``key_id`` retired once nothing is sealed with it; returns when it was retired.

    Refuses the active key, an unknown key, and a key that still seals any credential
    (:class:`KeyInUseError`, with the count). Retiring an already retired key changes nothing.
    """
    validate_key_id(key_id)
    if key_id == ring.active_id:
        msg = (
            f"key {key_id!r} is the active key of {ring.source}; put a new key first, "
            "run `spojka keys rotate`, then retire this one"
        )
        raise RetireRefusedError(msg)
    async with admin_db.session() as session:
        await _require_full_visibility(session)
        # Lock the record first: writers share-lock it while they seal, so the count below sees them.
        record = await session.scalar(select(VaultKey).where(VaultKey.key_id == key_id).with_for_update())
        if record is None:
            msg = f"there is no key {key_id!r} on record"
            raise RetireRefusedError(msg)
        if record.retired_at is not None:
            return record.retired_at
        count = int(
            await session.scalar(select(func.count()).select_from(SealedSecret).where(_sealed_with(key_id)))
            or 0
        )
        if count:
            raise KeyInUseError(key_id, count)
        record.retired_at = utcnow()
        return record.retired_at


async def key_usage(admin_db: Database, ring: KeyRing) -> list[KeyUsage]:
    """Every key the ring, the records or the stored credentials mention, with its row count.

    Never raises for a mismatch: ``verified`` says whether the ring's key opens its record.
    """
    async with admin_db.session() as session:
        await _require_full_visibility(session)
        records = {r.key_id: r for r in (await session.scalars(select(VaultKey))).all()}
        counts = {
            key_id: int(n)
            for key_id, n in (
                await session.execute(select(SealedSecret.key_id, func.count()).group_by(SealedSecret.key_id))
            ).all()
        }
    ordered = list(ring.ids)
    ordered += sorted(k for k in {*records, *counts} if k not in ring)
    usage = []
    for key_id in ordered:
        record = records.get(key_id)
        verified = None
        if record is not None and key_id in ring:
            verified = verifier_matches(ring, key_id, record.verifier)
        usage.append(
            KeyUsage(
                key_id=key_id,
                active=key_id == ring.active_id,
                in_ring=key_id in ring,
                recorded=record is not None,
                verified=verified,
                created_at=record.created_at if record else None,
                retired_at=record.retired_at if record else None,
                sealed=counts.get(key_id, 0),
            )
        )
    return usage
