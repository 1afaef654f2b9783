"""The secret store: sealed credential fields of an owner (a connection), per tenant.

Every method works inside the caller's tenant-bound ``AsyncSession`` and filters on ``tenant_id``
explicitly as well (SQLite has no row-level security). Values are decrypted only by :meth:`get`, at
the moment of use; nothing here logs, and errors name fields and ids, never values.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable, Mapping

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from spojka.db import new_id, utcnow
from spojka.db.upsert import dialect_insert
from spojka.vault.crypto import EnvelopeError, KeyRing, MalformedEnvelopeError, envelope_key_id, secret_aad
from spojka.vault.models import SealedSecret
from spojka.vault.verification import require_sealing_key

__all__ = ("MAX_FIELD_LENGTH", "SecretStore")

MAX_FIELD_LENGTH = 100  # sealed_secrets.field


def _check_field(field: object) -> str:
    if not isinstance(field, str) or not field or len(field) > MAX_FIELD_LENGTH:
        msg = f"a secret field name is a non-empty string of at most {MAX_FIELD_LENGTH} characters"
        raise ValueError(msg)
    return field


def open_row(
    ring: KeyRing,
    *,
    tenant_id: uuid.UUID,
    owner_id: uuid.UUID,
    field: str,
    key_id: str,
    envelope: str,
    repair: bool = False,
) -> str:
    """Open one stored secret, with an error that says which one failed (never its value).

    A row whose key column disagrees with its (authenticated) envelope is refused, unless
    ``repair`` (rotation, which rewrites both) asks to trust the envelope.
    """
    where = f"secret field {field!r} of owner {owner_id} (tenant {tenant_id})"
    try:
        if not repair and envelope_key_id(envelope) != key_id:
            msg = f"is recorded as sealed with key {key_id!r} but its envelope names another key"
            raise MalformedEnvelopeError(msg)
        return ring.open(envelope, secret_aad(tenant_id, owner_id, field))
    except EnvelopeError as exc:
        raise type(exc)(f"{where} {exc}") from None


def _check_value(field: str, value: object) -> str:
    if not isinstance(value, str):
        msg = f"secret field {field!r} must be a string or None"
        raise TypeError(msg)
    return value


class SecretStore:
    """Seals and opens credential fields with a key ring (the active key seals)."""

    __slots__ = ("_ring",)

    def __init__(self, ring: KeyRing) -> None:
        self._ring = ring

    @property
    def ring(self) -> KeyRing:
        return self._ring

    def __repr__(self) -> str:
        return f"SecretStore(active_key={self._ring.active_id!r})"

    async def put(
        self,
        session: AsyncSession,
        tenant_id: uuid.UUID,
        owner_id: uuid.UUID,
        values: Mapping[str, str | None],
    ) -> None:
        """Seal and upsert each field; a ``None`` value deletes that field. Fields not given are kept."""
        to_seal: dict[str, str] = {}
        to_delete: list[str] = []
        for field, value in values.items():
            _check_field(field)
            if value is None:
                to_delete.append(field)
            else:
                to_seal[field] = _check_value(field, value)
        if to_delete:
            await session.execute(
                delete(SealedSecret).where(
                    SealedSecret.tenant_id == tenant_id,
                    SealedSecret.owner_id == owner_id,
                    SealedSecret.field.in_(to_delete),
                )
            )
        if not to_seal:
            return
        await require_sealing_key(session, self._ring)
        key_id = self._ring.active_id
        for field, plaintext in to_seal.items():
            now = utcnow()
            insert = dialect_insert(session, SealedSecret).values(
                id=new_id(),
                tenant_id=tenant_id,
                owner_id=owner_id,
                field=field,
                key_id=key_id,
                envelope=self._ring.seal(plaintext, secret_aad(tenant_id, owner_id, field)),
                updated_at=now,
            )
            await session.execute(
                insert.on_conflict_do_update(
                    index_elements=["tenant_id", "owner_id", "field"],
                    set_={
                        "key_id": insert.excluded.key_id,
                        "envelope": insert.excluded.envelope,
                        "updated_at": insert.excluded.updated_at,
                    },
                )
            )

    async def get(
        self,
        session: AsyncSession,
        tenant_id: uuid.UUID,
        owner_id: uuid.UUID,
        fields: Collection[str] | None = None,
    ) -> dict[str, str]:
        """Open the owner's secrets (all, or only ``fields``): call it at the moment of use only.

        A field that does not open raises an :class:`~spojka.vault.crypto.EnvelopeError`; it is
        never skipped or returned empty.
        """
        query = select(SealedSecret.field, SealedSecret.key_id, SealedSecret.envelope).where(
            SealedSecret.tenant_id == tenant_id, SealedSecret.owner_id == owner_id
        )
        if fields is not None:
            query = query.where(SealedSecret.field.in_(list(fields)))
        rows = (await session.execute(query)).all()
        return {
            row.field: open_row(
                self._ring,
                tenant_id=tenant_id,
                owner_id=owner_id,
                field=row.field,
                key_id=row.key_id,
                envelope=row.envelope,
            )
            for row in rows
        }

    async def states(
        self,
        session: AsyncSession,
        tenant_id: uuid.UUID,
        owner_id: uuid.UUID,
        fields: Iterable[str] = (),
    ) -> dict[str, bool]:
        """Which fields are set, without decrypting: every stored field maps to True, and each
        name in ``fields`` that is not stored maps to False."""
        stored = (
            await session.scalars(
                select(SealedSecret.field).where(
                    SealedSecret.tenant_id == tenant_id, SealedSecret.owner_id == owner_id
                )
            )
        ).all()
        result = dict.fromkeys(fields, False)
        result.update(dict.fromkeys(stored, True))
        return result

    async def delete_owner(self, session: AsyncSession, tenant_id: uuid.UUID, owner_id: uuid.UUID) -> int:
        """Delete every secret of the owner; returns how many fields were deleted."""
        result = await session.execute(
            delete(SealedSecret).where(SealedSecret.tenant_id == tenant_id, SealedSecret.owner_id == owner_id)
        )
        return int(getattr(result, "rowcount", 0) or 0)
