"""Verification records: proof, at every start, that the configured keys are the ones in use.

Before a key seals anything it gets a ``vault_keys`` row whose ``verifier`` is a seal of a fixed
constant under that key. At start-up :func:`verify_key_ring` checks every key that is not retired:
the ring must contain it and its verifier must open. A missing or wrong key therefore stops the
process before it serves a request or writes a credential nobody could read back.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from spojka.db import Database, utcnow
from spojka.db.upsert import dialect_insert
from spojka.vault.crypto import EnvelopeError, KeyRing, KeyRingError, envelope_key_id, verifier_aad
from spojka.vault.models import VaultKey

__all__ = (
    "VERIFIER_PLAINTEXT",
    "KeyRingMismatch",
    "key_ring_problems",
    "make_verifier",
    "require_sealing_key",
    "verifier_matches",
    "verify_key_ring",
)

VERIFIER_PLAINTEXT = "spojka vault key verification v1"


class KeyRingMismatch(KeyRingError):  # noqa: N818 (the name operators and callers know)
    """The configured key ring does not fit the keys recorded in the database."""


def make_verifier(ring: KeyRing, key_id: str) -> str:
    """The verification record of ``key_id``: the fixed constant sealed under that key."""
    return ring.seal(VERIFIER_PLAINTEXT, verifier_aad(key_id), key_id=key_id)


def verifier_matches(ring: KeyRing, key_id: str, verifier: str) -> bool:
    """True if the ring's key ``key_id`` opens the stored verifier."""
    if key_id not in ring:
        return False
    try:
        return (
            envelope_key_id(verifier) == key_id
            and ring.open(verifier, verifier_aad(key_id)) == VERIFIER_PLAINTEXT
        )
    except EnvelopeError:
        return False


def _missing(ring: KeyRing, key_id: str) -> str:
    return (
        f"{ring.source} does not contain key {key_id!r}, which seals stored credentials; restore it "
        f"(only once nothing is sealed with it any more may it go: `spojka keys retire {key_id}`)"
    )


def _wrong(ring: KeyRing, key_id: str) -> str:
    return (
        f"key {key_id!r} in {ring.source} is not the key that sealed the stored credentials "
        f"(verification failed); restore the original key {key_id!r}"
    )


def _problems(ring: KeyRing, rows: Iterable[VaultKey]) -> list[str]:
    problems = []
    for row in sorted(rows, key=lambda r: r.key_id):
        if row.key_id == ring.active_id and row.retired_at is not None:
            problems.append(
                f"the active key {row.key_id!r} of {ring.source} was retired on "
                f"{row.retired_at:%Y-%m-%d}; a retired key never seals again: put a new key first"
            )
        elif row.retired_at is not None:
            continue
        elif row.key_id not in ring:
            problems.append(_missing(ring, row.key_id))
        elif not verifier_matches(ring, row.key_id, row.verifier):
            problems.append(_wrong(ring, row.key_id))
    return problems


async def _records(db: Database) -> list[VaultKey]:
    async with db.session() as session:
        return list((await session.scalars(select(VaultKey))).all())


async def key_ring_problems(db: Database, ring: KeyRing) -> list[str]:
    """What :func:`verify_key_ring` would refuse, one message per problem (records nothing)."""
    return _problems(ring, await _records(db))


async def verify_key_ring(db: Database, ring: KeyRing) -> None:
    """Check ``ring`` against the recorded keys; record the active key if it is new.

    Raises :class:`KeyRingMismatch` naming each problem. Run it at every process start, before
    serving requests or running jobs. ``vault_keys`` is global (no row-level security), so the
    runtime database URL is enough.
    """
    for _attempt in range(2):
        rows = await _records(db)
        problems = _problems(ring, rows)
        if problems:
            raise KeyRingMismatch("\n".join(problems))
        if any(row.key_id == ring.active_id for row in rows):
            return
        async with db.session() as session:
            # Another process may record the same id at the same time: the second pass checks
            # that the record which won opens with our key.
            statement = dialect_insert(session, VaultKey).values(
                key_id=ring.active_id,
                verifier=make_verifier(ring, ring.active_id),
                created_at=utcnow(),
                retired_at=None,
            )
            await session.execute(statement.on_conflict_do_nothing(index_elements=["key_id"]))
    msg = f"could not record the active key {ring.active_id!r} of {ring.source}"
    raise KeyRingMismatch(msg)


async def require_sealing_key(session: AsyncSession, ring: KeyRing) -> None:
    """Check, inside the caller's transaction, that the active key may seal.

    It must have a verification record that opens and must not be retired. On PostgreSQL the record
    stays share-locked until the transaction ends, so a concurrent retirement waits for this write
    and then counts it.
    """
    key_id = ring.active_id
    row = (
        await session.execute(
            select(VaultKey.verifier, VaultKey.retired_at)
            .where(VaultKey.key_id == key_id)
            .with_for_update(read=True)
        )
    ).one_or_none()
    if row is None:
        msg = (
            f"key {key_id!r} has no verification record, so it may not seal yet: "
            "verify_key_ring() must run when the process starts"
        )
        raise KeyRingMismatch(msg)
    if row.retired_at is not None:
        msg = (
            f"the active key {key_id!r} of {ring.source} is retired and never seals again; "
            "restart this process with the current key ring"
        )
        raise KeyRingMismatch(msg)
    if not verifier_matches(ring, key_id, row.verifier):
        raise KeyRingMismatch(_wrong(ring, key_id))
