"""Key records, rotation and retirement across tenants, and the ``spojka keys`` commands.

Key state is global to a database, so every test here gets its own freshly migrated database
(next to the session's ``test_database``: a SQLite file, or a PostgreSQL database on that server).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select, update

from spojka.audit.models import AuditEntry
from spojka.db import Database, bind_principal
from spojka.settings import get_settings
from spojka.tenants.models import Tenant
from spojka.vault import (
    KeyInUseError,
    KeyRing,
    KeyRingMismatch,
    MalformedEnvelopeError,
    RetireRefusedError,
    SecretStore,
    VaultError,
    count_to_rotate,
    envelope_key_id,
    generate_key_entry,
    key_usage,
    load_key_ring,
    retire,
    rotate,
    verify_key_ring,
)
from spojka.vault.cli import keys
from spojka.vault.models import SealedSecret, VaultKey
from tests.conftest import DatabaseUnderTest
from tests.support.databases import PrivateDatabase, private_database

K1 = generate_key_entry("k1")
K2 = generate_key_entry("k2")
RING_1 = KeyRing.parse(K1)
RING_21 = KeyRing.parse(f"{K2},{K1}")
RING_2 = KeyRing.parse(K2)


# -- a private database per test ---------------------------------------------------------------
@pytest.fixture
def vault_database(test_database: DatabaseUnderTest, tmp_path: Path) -> Iterator[PrivateDatabase]:
    """A fresh migrated database next to the session's one: key state is global to a database."""
    yield from private_database(test_database, tmp_path)


@pytest.fixture
async def admin_db(vault_database: PrivateDatabase) -> AsyncIterator[Database]:
    db = Database(vault_database.owner_url)
    yield db
    await db.dispose()


@pytest.fixture
async def runtime_db(vault_database: PrivateDatabase) -> AsyncIterator[Database]:
    db = Database(vault_database.runtime_url)
    yield db
    await db.dispose()


async def new_tenant(db: Database) -> uuid.UUID:
    tenant_id = uuid.uuid4()
    async with db.session(tenant_id=tenant_id) as session:
        await bind_principal(session, tenant_id=tenant_id)
        session.add(Tenant(id=tenant_id, name=f"Vault keys {tenant_id.hex[:6]}"))
    return tenant_id


Secrets = dict[tuple[uuid.UUID, uuid.UUID], dict[str, str]]


async def populate(admin_db: Database, runtime_db: Database, ring: KeyRing, tenants: int = 3) -> Secrets:
    """Several tenants, two connections each, three fields each, sealed through the runtime role."""
    store = SecretStore(ring)
    secrets: Secrets = {}
    for t in range(tenants):
        tenant_id = await new_tenant(admin_db)
        async with runtime_db.session(tenant_id=tenant_id) as session:
            for c in range(2):
                owner = uuid.uuid4()
                values = {
                    f: f"{f}-t{t}-c{c}-{uuid.uuid4().hex[:6]}" for f in ("api_token", "password", "hook")
                }
                await store.put(session, tenant_id, owner, values)
                secrets[tenant_id, owner] = values
    return secrets


async def read_all(runtime_db: Database, ring: KeyRing, secrets: Secrets) -> Secrets:
    store = SecretStore(ring)
    found: Secrets = {}
    for tenant_id, owner in secrets:
        async with runtime_db.session(tenant_id=tenant_id) as session:
            found[tenant_id, owner] = await store.get(session, tenant_id, owner)
    return found


async def keys_in_use(admin_db: Database) -> dict[str, int]:
    async with admin_db.session() as session:
        rows = (
            await session.execute(select(SealedSecret.key_id, func.count()).group_by(SealedSecret.key_id))
        ).all()
        envelopes = (await session.scalars(select(SealedSecret.envelope))).all()
    assert all(envelope_key_id(e) in {k for k, _ in rows} for e in envelopes)
    return {k: int(n) for k, n in rows}


# -- verification records ----------------------------------------------------------------------
async def test_the_right_ring_passes_and_records_the_active_key(runtime_db: Database) -> None:
    await verify_key_ring(runtime_db, RING_1)
    await verify_key_ring(runtime_db, RING_1)  # idempotent
    async with runtime_db.session() as session:
        records = (await session.scalars(select(VaultKey))).all()
    assert [(r.key_id, r.retired_at) for r in records] == [("k1", None)]
    assert envelope_key_id(records[0].verifier) == "k1"
    # A new active key in front of the old one is recorded too; the old one keeps its record.
    await verify_key_ring(runtime_db, RING_21)
    async with runtime_db.session() as session:
        assert sorted(await session.scalars(select(VaultKey.key_id))) == ["k1", "k2"]


async def test_a_wrong_key_under_the_same_id_is_refused(runtime_db: Database) -> None:
    await verify_key_ring(runtime_db, RING_1)
    impostor = KeyRing.parse(generate_key_entry("k1"))
    with pytest.raises(KeyRingMismatch) as info:
        await verify_key_ring(runtime_db, impostor)
    assert str(info.value) == (
        "key 'k1' in SPOJKA_MASTER_KEYS is not the key that sealed the stored credentials "
        "(verification failed); restore the original key 'k1'"
    )
    assert K1.split(":", 1)[1] not in str(info.value)


async def test_a_missing_key_is_refused_and_nothing_is_recorded(runtime_db: Database) -> None:
    await verify_key_ring(runtime_db, RING_1)
    await verify_key_ring(runtime_db, RING_21)
    with pytest.raises(KeyRingMismatch) as info:
        await verify_key_ring(runtime_db, KeyRing.parse(generate_key_entry("k3")))
    assert str(info.value).splitlines() == [
        "SPOJKA_MASTER_KEYS does not contain key 'k1', which seals stored credentials; restore it "
        "(only once nothing is sealed with it any more may it go: `spojka keys retire k1`)",
        "SPOJKA_MASTER_KEYS does not contain key 'k2', which seals stored credentials; restore it "
        "(only once nothing is sealed with it any more may it go: `spojka keys retire k2`)",
    ]
    with pytest.raises(KeyRingMismatch) as info:
        await verify_key_ring(runtime_db, RING_2)
    assert len(str(info.value).splitlines()) == 1
    assert "does not contain key 'k1'" in str(info.value)
    async with runtime_db.session() as session:
        assert sorted(await session.scalars(select(VaultKey.key_id))) == ["k1", "k2"]  # no k3


# -- rotation ----------------------------------------------------------------------------------
async def test_rotate_reseals_every_tenant_and_everything_still_opens(
    admin_db: Database, runtime_db: Database
) -> None:
    await verify_key_ring(runtime_db, RING_1)
    secrets = await populate(admin_db, runtime_db, RING_1)
    assert await keys_in_use(admin_db) == {"k1": 18}
    async with admin_db.session() as session:
        before = dict((await session.execute(select(SealedSecret.id, SealedSecret.envelope))).all())

    # The operator puts k2 first and restarts; new writes use k2 at once.
    await verify_key_ring(runtime_db, RING_21)
    assert await count_to_rotate(admin_db, RING_21) == 18
    calls: list[tuple[int, int]] = []
    count = await rotate(
        admin_db, RING_21, batch_size=4, progress=lambda done, total: calls.append((done, total))
    )

    assert count == 18
    assert calls == [(4, 18), (8, 18), (12, 18), (16, 18), (18, 18)]
    assert await keys_in_use(admin_db) == {"k2": 18}
    assert await count_to_rotate(admin_db, RING_21) == 0
    async with admin_db.session() as session:
        after = dict((await session.execute(select(SealedSecret.id, SealedSecret.envelope))).all())
    assert after.keys() == before.keys()
    assert all(after[i] != before[i] for i in before)
    # Every secret opens, with the full ring and with k2 alone.
    assert await read_all(runtime_db, RING_21, secrets) == secrets
    assert await read_all(runtime_db, RING_2, secrets) == secrets
    # Nothing left to do: a second run re-seals nothing.
    assert await rotate(admin_db, RING_21) == 0


async def test_rotate_resumes_after_an_interruption(admin_db: Database, runtime_db: Database) -> None:
    await verify_key_ring(runtime_db, RING_1)
    secrets = await populate(admin_db, runtime_db, RING_1)

    class Crash(Exception):
        pass

    def crash_after_first_batch(done: int, total: int) -> None:
        raise Crash

    with pytest.raises(Crash):
        await rotate(admin_db, RING_21, batch_size=5, progress=crash_after_first_batch)
    assert await keys_in_use(admin_db) == {"k1": 13, "k2": 5}  # the first batch was committed

    # Meanwhile a live write under k2 for one credential.
    (tenant_id, owner), values = next(iter(secrets.items()))
    async with runtime_db.session(tenant_id=tenant_id) as session:
        await SecretStore(RING_21).put(session, tenant_id, owner, {"api_token": "changed"})
    secrets[tenant_id, owner] = {**values, "api_token": "changed"}

    assert await rotate(admin_db, RING_21, batch_size=5) <= 13
    assert await keys_in_use(admin_db) == {"k2": 18}
    assert await read_all(runtime_db, RING_2, secrets) == secrets


async def test_rotate_needs_every_key_that_seals_something(admin_db: Database, runtime_db: Database) -> None:
    await verify_key_ring(runtime_db, RING_1)
    await populate(admin_db, runtime_db, RING_1, tenants=1)
    with pytest.raises(KeyRingMismatch, match="does not contain key 'k1'"):
        await rotate(admin_db, RING_2)
    assert await keys_in_use(admin_db) == {"k1": 6}


async def test_a_mislabelled_row_is_still_found_by_its_envelope(
    admin_db: Database, runtime_db: Database
) -> None:
    await verify_key_ring(runtime_db, RING_1)
    secrets = await populate(admin_db, runtime_db, RING_1, tenants=1)
    await verify_key_ring(runtime_db, RING_21)
    async with admin_db.session() as session:  # the key column lies: it claims k2 for a k1 envelope
        row_id = await session.scalar(select(SealedSecret.id).limit(1))
        await session.execute(update(SealedSecret).where(SealedSecret.id == row_id).values(key_id="k2"))
    with pytest.raises(KeyInUseError):
        await retire(admin_db, RING_21, "k1")
    with pytest.raises(MalformedEnvelopeError, match="recorded as sealed with key 'k2'"):
        await read_all(runtime_db, RING_21, secrets)  # reading fails closed on the mixed state
    assert await rotate(admin_db, RING_21) == 6
    assert await read_all(runtime_db, RING_2, secrets) == secrets


@pytest.mark.postgres
async def test_maintenance_refuses_a_role_that_row_level_security_filters(
    admin_db: Database, runtime_db: Database
) -> None:
    await verify_key_ring(runtime_db, RING_1)
    await populate(admin_db, runtime_db, RING_1, tenants=1)
    for attempt in (
        rotate(runtime_db, RING_21),
        retire(runtime_db, RING_21, "k1"),
        count_to_rotate(runtime_db, RING_21),
        key_usage(runtime_db, RING_21),
    ):
        with pytest.raises(VaultError, match="row-level security applies to"):
            await attempt
    assert await keys_in_use(admin_db) == {"k1": 6}


# -- retirement --------------------------------------------------------------------------------
async def test_retire_is_refused_while_a_row_uses_the_key(admin_db: Database, runtime_db: Database) -> None:
    await verify_key_ring(runtime_db, RING_1)
    secrets = await populate(admin_db, runtime_db, RING_1, tenants=2)
    await verify_key_ring(runtime_db, RING_21)

    with pytest.raises(KeyInUseError) as info:
        await retire(admin_db, RING_21, "k1")
    assert info.value.count == 12
    assert str(info.value) == (
        "key 'k1' cannot be retired: 12 stored credentials are still sealed with it; "
        "run `spojka keys rotate` first"
    )
    with pytest.raises(RetireRefusedError, match="'k2' is the active key"):
        await retire(admin_db, RING_21, "k2")
    with pytest.raises(RetireRefusedError, match="no key 'k9' on record"):
        await retire(admin_db, RING_21, "k9")

    await rotate(admin_db, RING_21, batch_size=1000)
    retired_at = await retire(admin_db, RING_21, "k1")
    assert await retire(admin_db, RING_21, "k1") == retired_at  # already retired: unchanged
    async with admin_db.session() as session:
        record = await session.get(VaultKey, "k1")
        assert record is not None
        assert record.retired_at == retired_at

    # k1 may now leave the ring; bringing k1 back as the active key is refused.
    await verify_key_ring(runtime_db, RING_2)
    assert await read_all(runtime_db, RING_2, secrets) == secrets
    with pytest.raises(KeyRingMismatch, match="the active key 'k1' of SPOJKA_MASTER_KEYS was retired"):
        await verify_key_ring(runtime_db, RING_1)
    tenant_id, owner = next(iter(secrets))
    with pytest.raises(KeyRingMismatch, match="'k1' of SPOJKA_MASTER_KEYS is retired"):
        async with runtime_db.session(tenant_id=tenant_id) as session:
            await SecretStore(RING_1).put(session, tenant_id, owner, {"api_token": "x"})


@pytest.mark.postgres
async def test_retire_waits_for_a_write_in_flight_and_then_counts_it(
    admin_db: Database, runtime_db: Database
) -> None:
    await verify_key_ring(runtime_db, RING_1)
    tenant_id = await new_tenant(admin_db)
    await verify_key_ring(runtime_db, RING_21)
    # A process that still runs with the old ring seals with k1 while the operator retires k1.
    async with runtime_db.session(tenant_id=tenant_id) as session:
        await SecretStore(RING_1).put(session, tenant_id, uuid.uuid4(), {"token": "late"})
        retiring = asyncio.create_task(retire(admin_db, RING_21, "k1"))
        await asyncio.sleep(0.5)
        assert not retiring.done()  # blocked on the key record until the write commits
    with pytest.raises(KeyInUseError) as info:
        await retiring
    assert info.value.count == 1


async def test_key_usage_reports_every_key(admin_db: Database, runtime_db: Database) -> None:
    await verify_key_ring(runtime_db, RING_1)
    await populate(admin_db, runtime_db, RING_1, tenants=1)
    ring = KeyRing.parse(f"{generate_key_entry('k3')},{K2},{generate_key_entry('k1')}")
    usage = {u.key_id: u for u in await key_usage(admin_db, ring)}
    assert list(usage) == ["k3", "k2", "k1"]
    assert usage["k3"].active
    assert not usage["k3"].recorded
    assert usage["k3"].verified is None
    assert usage["k1"].verified is False  # a different key under id k1
    assert usage["k1"].sealed == 6
    usage = {u.key_id: u for u in await key_usage(admin_db, RING_2)}
    assert list(usage) == ["k2", "k1"]
    assert not usage["k1"].in_ring
    assert usage["k1"].recorded
    assert usage["k1"].verified is None


# -- the ``spojka keys`` commands --------------------------------------------------------------
@pytest.fixture
def cli_env(
    vault_database: PrivateDatabase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """Process settings pointing at the private database and a private VAR_DIR."""
    monkeypatch.chdir(tmp_path)
    var_dir = tmp_path / "var"
    monkeypatch.setenv("SPOJKA_VAR_DIR", str(var_dir))
    monkeypatch.setenv("SPOJKA_DATABASE_URL", vault_database.runtime_url)
    monkeypatch.setenv("SPOJKA_MIGRATION_DATABASE_URL", vault_database.owner_url)
    get_settings.cache_clear()
    yield var_dir
    get_settings.cache_clear()


def invoke(*args: str) -> tuple[int, str]:
    get_settings.cache_clear()
    result = CliRunner().invoke(keys, list(args))
    assert "Traceback" not in result.output
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


def seed(vault_database: PrivateDatabase, ring: KeyRing, tenants: int = 1) -> Secrets:
    """Start-up verification plus some sealed credentials, as a running Spojka would leave them."""

    async def main() -> Secrets:
        admin, runtime = Database(vault_database.owner_url), Database(vault_database.runtime_url)
        try:
            await verify_key_ring(runtime, ring)
            return await populate(admin, runtime, ring, tenants=tenants)
        finally:
            await admin.dispose()
            await runtime.dispose()

    return asyncio.run(main())


def check(vault_database: PrivateDatabase, ring: KeyRing, secrets: Secrets) -> dict[str, int]:
    async def main() -> tuple[Secrets, dict[str, int]]:
        admin, runtime = Database(vault_database.owner_url), Database(vault_database.runtime_url)
        try:
            return await read_all(runtime, ring, secrets), await keys_in_use(admin)
        finally:
            await admin.dispose()
            await runtime.dispose()

    found, usage = asyncio.run(main())
    assert found == secrets
    return usage


def rotation_audit(vault_database: PrivateDatabase) -> list[tuple[str, int]]:
    """(key, re-sealed count) of each tenant's ``keys.rotated`` audit entry."""

    async def main() -> list[tuple[str, int]]:
        admin = Database(vault_database.owner_url)
        try:
            async with admin.session() as session:
                rows = await session.scalars(select(AuditEntry).where(AuditEntry.action == "keys.rotated"))
                return sorted((r.details["key"], r.details["resealed"]) for r in rows)
        finally:
            await admin.dispose()

    return asyncio.run(main())


def test_cli_generate_prints_a_usable_entry() -> None:
    code, output = invoke("generate")
    assert code == 0
    assert len(KeyRing.parse(output.strip())) == 1
    code, output = invoke("generate", "--id", "prod-2027")
    assert KeyRing.parse(output.strip()).ids == ("prod-2027",)
    code, output = invoke("generate", "--id", "bad id")
    assert code == 1
    assert output.startswith("Error: invalid key id")


def test_cli_on_the_embedded_key_file(vault_database: PrivateDatabase, cli_env: Path) -> None:
    code, output = invoke("status")
    assert code == 1
    assert "Error: no key file at" in output

    first = load_key_ring(get_settings(), create=True)  # what the first `spojka run` does
    old_id = first.active_id
    secrets = seed(vault_database, first, tenants=2)

    code, output = invoke("rotate", "--batch-size", "5")
    assert code == 0, output
    ring = load_key_ring(get_settings(), create=False)
    new_id = ring.active_id
    assert ring.ids == (new_id, old_id)
    assert f"Added key {new_id!r}" in output
    assert "re-sealed 5/12" in output
    assert f"Re-sealed 12 credentials with key {new_id!r}." in output
    assert f"Keys that seal nothing any more: {old_id}." in output
    assert (cli_env / "master.keys").stat().st_mode & 0o777 == 0o600
    assert check(vault_database, ring, secrets) == {new_id: 12}
    assert rotation_audit(vault_database) == [(new_id, 6), (new_id, 6)]

    code, output = invoke("status")
    assert code == 0, output
    lines = output.splitlines()
    assert lines[0].startswith("Key ring: the key file")
    assert lines[2].split() == [new_id, "yes", "yes", "yes", "12", "-"]
    assert lines[3].split() == [old_id, "yes", "yes", "0", "-"]

    code, output = invoke("retire", new_id)
    assert code == 1
    assert f"Error: key {new_id!r} is the active key" in output

    code, output = invoke("retire", old_id)
    assert code == 0, output
    assert f"Key {old_id!r} is retired" in output
    assert "Removed it from the key file" in output
    assert load_key_ring(get_settings(), create=False).ids == (new_id,)
    code, output = invoke("status")
    assert code == 0, output
    assert output.splitlines()[3].split()[:4] == [old_id, "NO", "-", "0"]


def test_cli_with_master_keys(
    vault_database: PrivateDatabase, cli_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secrets = seed(vault_database, RING_1)
    monkeypatch.setenv("SPOJKA_MASTER_KEYS", K1)

    code, output = invoke("rotate")
    assert code == 1
    assert "Error: every stored credential is already sealed with the active key 'k1'" in output
    assert "put it first in SPOJKA_MASTER_KEYS" in output

    monkeypatch.setenv("SPOJKA_MASTER_KEYS", f"{K2},{K1}")
    code, output = invoke("rotate")
    assert code == 0, output
    assert "6 credentials not yet sealed with the active key 'k2'" in output
    assert "Re-sealed 6 credentials with key 'k2'." in output
    assert check(vault_database, RING_2, secrets) == {"k2": 6}
    assert not (cli_env / "master.keys").exists()

    code, output = invoke("retire", "k1")
    assert code == 0, output
    assert "You can now remove it from SPOJKA_MASTER_KEYS." in output

    # A wrong key is reported with exit code 1 and the operator's message, no traceback.
    monkeypatch.setenv("SPOJKA_MASTER_KEYS", generate_key_entry("k2"))
    code, output = invoke("status")
    assert code == 1
    assert "key 'k2' in SPOJKA_MASTER_KEYS is not the key that sealed the stored credentials" in output
    code, output = invoke("rotate")
    assert code == 1
    assert "verification failed" in output
    monkeypatch.setenv("SPOJKA_MASTER_KEYS", "k2:c2hvcnQ=")
    code, output = invoke("status")
    assert code == 1
    assert (
        output == "Error: SPOJKA_MASTER_KEYS: key 'k2' (entry 1) is 5 bytes long; "
        "keys must be 32 random bytes (AES-256), base64-encoded\n"
    )
