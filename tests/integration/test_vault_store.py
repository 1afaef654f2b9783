"""The secret store on a real database: put/get/states/delete, tenant binding, row-level security.

The vault's key records are global, so these tests run on a private database (migrated like the
session's ``test_database``, on the same server) rather than share key state with other tests.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import DBAPIError

from spojka.db import Database, bind_principal
from spojka.tenants.models import Tenant
from spojka.vault import (
    EnvelopeRejectedError,
    KeyRing,
    KeyRingMismatch,
    SecretStore,
    generate_key_entry,
    verify_key_ring,
)
from spojka.vault.models import SealedSecret
from tests.conftest import DatabaseUnderTest
from tests.support.databases import PrivateDatabase, private_database

RING = KeyRing.parse(generate_key_entry("store-k1"))


@pytest.fixture(scope="module")
def vault_database(
    test_database: DatabaseUnderTest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[PrivateDatabase]:
    yield from private_database(test_database, tmp_path_factory.mktemp("vault-store"))


@pytest.fixture
async def owner_db(vault_database: PrivateDatabase) -> AsyncIterator[Database]:
    db = Database(vault_database.owner_url)
    yield db
    await db.dispose()


@pytest.fixture
async def runtime_db(vault_database: PrivateDatabase, owner_db: Database) -> AsyncIterator[Database]:
    db = Database(vault_database.runtime_url)
    await verify_key_ring(db, RING)  # what every process does at start-up
    yield db
    await db.dispose()


async def new_tenant(db: Database, name: str = "Vault test") -> uuid.UUID:
    tenant_id = uuid.uuid4()
    async with db.session(tenant_id=tenant_id) as session:
        await bind_principal(session, tenant_id=tenant_id)
        session.add(Tenant(id=tenant_id, name=name))
    return tenant_id


@pytest.fixture
async def tenant(owner_db: Database) -> uuid.UUID:
    return await new_tenant(owner_db)


@pytest.fixture
async def other_tenant(owner_db: Database) -> uuid.UUID:
    return await new_tenant(owner_db, "Other vault test")


async def test_put_get_states_delete(runtime_db: Database, owner_db: Database, tenant: uuid.UUID) -> None:
    store = SecretStore(RING)
    owner = uuid.uuid4()
    async with runtime_db.session(tenant_id=tenant) as session:
        assert await store.get(session, tenant, owner) == {}
        await store.put(session, tenant, owner, {"api_token": "SECRET-CANARY-token", "password": "p@ss"})

    async with runtime_db.session(tenant_id=tenant) as session:
        assert await store.get(session, tenant, owner) == {
            "api_token": "SECRET-CANARY-token",
            "password": "p@ss",
        }
        assert await store.get(session, tenant, owner, fields=["password", "missing"]) == {"password": "p@ss"}
        assert await store.states(
            session, tenant, owner, fields=["api_token", "password", "client_secret"]
        ) == {
            "api_token": True,
            "password": True,
            "client_secret": False,
        }
        assert await store.states(session, tenant, owner) == {"api_token": True, "password": True}

    # Stored sealed: the plaintext is nowhere in the row, and the row names the active key.
    async with owner_db.session() as session:
        rows = (await session.scalars(select(SealedSecret).where(SealedSecret.owner_id == owner))).all()
        assert {r.field for r in rows} == {"api_token", "password"}
        for row in rows:
            assert row.key_id == "store-k1"
            assert row.envelope.startswith("v1.store-k1.")
            assert "CANARY" not in row.envelope
            assert "p@ss" not in row.envelope

    # Upsert one field, delete another (None), leave the rest alone.
    async with runtime_db.session(tenant_id=tenant) as session:
        await store.put(session, tenant, owner, {"api_token": "rotated", "password": None, "extra": ""})
        await store.put(session, tenant, owner, {"never_set": None})
    async with runtime_db.session(tenant_id=tenant) as session:
        assert await store.get(session, tenant, owner) == {"api_token": "rotated", "extra": ""}
        assert await store.delete_owner(session, tenant, owner) == 2
        assert await store.get(session, tenant, owner) == {}
        assert await store.states(session, tenant, owner) == {}
        assert await store.delete_owner(session, tenant, owner) == 0


async def test_owners_are_separate(runtime_db: Database, tenant: uuid.UUID) -> None:
    store = SecretStore(RING)
    first, second = uuid.uuid4(), uuid.uuid4()
    async with runtime_db.session(tenant_id=tenant) as session:
        await store.put(session, tenant, first, {"token": "one"})
        await store.put(session, tenant, second, {"token": "two"})
        assert await store.delete_owner(session, tenant, first) == 1
        assert await store.get(session, tenant, second) == {"token": "two"}


async def test_bad_input_is_refused(runtime_db: Database, tenant: uuid.UUID) -> None:
    store = SecretStore(RING)
    async with runtime_db.session(tenant_id=tenant) as session:
        with pytest.raises(ValueError, match="field name"):
            await store.put(session, tenant, uuid.uuid4(), {"": "x"})
        with pytest.raises(ValueError, match="field name"):
            await store.put(session, tenant, uuid.uuid4(), {"f" * 101: "x"})
        with pytest.raises(TypeError, match="'token' must be a string"):
            await store.put(session, tenant, uuid.uuid4(), {"token": 12345})  # type: ignore[dict-item]


async def test_ciphertext_copied_elsewhere_does_not_open(
    runtime_db: Database, owner_db: Database, tenant: uuid.UUID, other_tenant: uuid.UUID
) -> None:
    store = SecretStore(RING)
    owner_a, owner_a2, owner_b = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    async with runtime_db.session(tenant_id=tenant) as session:
        await store.put(session, tenant, owner_a, {"api_token": "A-secret", "password": "A-pass"})
        await store.put(session, tenant, owner_a2, {"api_token": "A2-secret"})
    async with runtime_db.session(tenant_id=other_tenant) as session:
        await store.put(session, other_tenant, owner_b, {"api_token": "B-secret"})

    async with owner_db.session() as session:
        stolen = await session.scalar(
            select(SealedSecret.envelope).where(
                SealedSecret.owner_id == owner_a, SealedSecret.field == "api_token"
            )
        )
        assert stolen is not None
        # Into another tenant's row, another connection's row, and another field of the same connection.
        for owner, field in [(owner_b, "api_token"), (owner_a2, "api_token"), (owner_a, "password")]:
            await session.execute(
                update(SealedSecret)
                .where(SealedSecret.owner_id == owner, SealedSecret.field == field)
                .values(envelope=stolen)
            )

    async with runtime_db.session(tenant_id=other_tenant) as session:
        with pytest.raises(EnvelopeRejectedError) as info:
            await store.get(session, other_tenant, owner_b)
        message = str(info.value)
        assert f"secret field 'api_token' of owner {owner_b} (tenant {other_tenant})" in message
        assert "A-secret" not in message
    async with runtime_db.session(tenant_id=tenant) as session:
        with pytest.raises(EnvelopeRejectedError):
            await store.get(session, tenant, owner_a2)
        with pytest.raises(EnvelopeRejectedError, match="'password'"):
            await store.get(session, tenant, owner_a)
        assert await store.get(session, tenant, owner_a, fields=["api_token"]) == {"api_token": "A-secret"}
        # States need no decryption, so they still answer.
        assert await store.states(session, tenant, owner_a) == {"api_token": True, "password": True}


async def test_a_tenant_sees_only_its_own_secrets(
    runtime_db: Database, tenant: uuid.UUID, other_tenant: uuid.UUID
) -> None:
    store = SecretStore(RING)
    owner_b = uuid.uuid4()
    async with runtime_db.session(tenant_id=other_tenant) as session:
        await store.put(session, other_tenant, owner_b, {"token": "B"})
    async with runtime_db.session(tenant_id=tenant) as session:
        # The explicit tenant filter: tenant A's id with tenant B's connection finds nothing.
        assert await store.get(session, tenant, owner_b) == {}
        assert await store.states(session, tenant, owner_b) == {}
        assert await store.delete_owner(session, tenant, owner_b) == 0
    async with runtime_db.session(tenant_id=other_tenant) as session:
        assert await store.get(session, other_tenant, owner_b) == {"token": "B"}


@pytest.mark.postgres
async def test_row_level_security_binds_the_runtime_role_not_the_owner(
    runtime_db: Database, owner_db: Database, tenant: uuid.UUID, other_tenant: uuid.UUID
) -> None:
    store = SecretStore(RING)
    owner_a, owner_b = uuid.uuid4(), uuid.uuid4()
    async with runtime_db.session(tenant_id=tenant) as session:
        await store.put(session, tenant, owner_a, {"token": "A"})
    async with runtime_db.session(tenant_id=other_tenant) as session:
        await store.put(session, other_tenant, owner_b, {"token": "B"})

    # Bound to tenant A, even asking for tenant B by id finds nothing: the database filters it.
    async with runtime_db.session(tenant_id=tenant) as session:
        assert await store.get(session, other_tenant, owner_b) == {}
        visible = await session.scalar(
            select(func.count())
            .select_from(SealedSecret)
            .where(SealedSecret.owner_id.in_([owner_a, owner_b]))
        )
        assert visible == 1
    # ... and cannot write into tenant B.
    with pytest.raises(DBAPIError, match="row-level security"):
        async with runtime_db.session(tenant_id=tenant) as session:
            await store.put(session, other_tenant, owner_b, {"token": "overwritten"})
    # With no tenant bound, nothing at all.
    async with runtime_db.session() as session:
        assert await session.scalar(select(func.count()).select_from(SealedSecret)) == 0
    # The owner URL (maintenance) sees both tenants.
    async with owner_db.session() as session:
        seen = await session.scalar(
            select(func.count())
            .select_from(SealedSecret)
            .where(SealedSecret.owner_id.in_([owner_a, owner_b]))
        )
        assert seen == 2
    async with runtime_db.session(tenant_id=other_tenant) as session:
        assert await store.get(session, other_tenant, owner_b) == {"token": "B"}


async def test_a_key_without_a_verification_record_does_not_seal(
    runtime_db: Database, tenant: uuid.UUID
) -> None:
    unverified = KeyRing.parse(f"{generate_key_entry('store-unverified')},{RING.to_text()}")
    store = SecretStore(unverified)
    owner = uuid.uuid4()
    with pytest.raises(KeyRingMismatch, match="'store-unverified' has no verification record"):
        async with runtime_db.session(tenant_id=tenant) as session:
            await store.put(session, tenant, owner, {"token": "x"})
    async with runtime_db.session(tenant_id=tenant) as session:
        # Reading and deleting still work with it: only sealing needs the record.
        await SecretStore(RING).put(session, tenant, owner, {"token": "y"})
        assert await store.get(session, tenant, owner) == {"token": "y"}
        await store.put(session, tenant, owner, {"token": None})
        assert await store.states(session, tenant, owner) == {}


async def test_a_same_id_wrong_key_does_not_seal(runtime_db: Database, tenant: uuid.UUID) -> None:
    impostor = SecretStore(KeyRing.parse(generate_key_entry("store-k1")))
    with pytest.raises(KeyRingMismatch, match="not the key that sealed"):
        async with runtime_db.session(tenant_id=tenant) as session:
            await impostor.put(session, tenant, uuid.uuid4(), {"token": "x"})
