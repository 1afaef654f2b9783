"""``spojka keys``: generate, rotate and retire the master keys, and show what each one seals.

Cross-tenant work runs on the maintenance database URL (``SPOJKA_MIGRATION_DATABASE_URL``).
Errors are printed as one message with exit code 1, never as a traceback.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import click
from sqlalchemy.exc import SQLAlchemyError

from spojka.db import Database
from spojka.settings import Settings, SettingsError, get_settings
from spojka.vault.crypto import KeyRing, VaultError, generate_key_entry
from spojka.vault.keyfile import (
    ENV_NAME,
    add_key_to_file,
    load_key_ring,
    remove_key_from_file,
    uses_key_file,
)
from spojka.vault.rotation import KeyUsage, count_to_rotate, key_usage, retire, rotate
from spojka.vault.verification import key_ring_problems, verify_key_ring

__all__ = ("keys",)

T = TypeVar("T")


@contextmanager
def _errors_as_messages() -> Iterator[None]:
    """Turn the failures an operator can act on into ``Error: ...`` and exit code 1."""
    try:
        yield
    except (VaultError, SettingsError) as exc:
        raise click.ClickException(str(exc)) from None
    except SQLAlchemyError as exc:
        cause = getattr(exc, "orig", None) or exc
        msg = (
            f"database error: {cause.__class__.__name__}: {str(cause).splitlines()[0] if str(cause) else ''}"
        )
        raise click.ClickException(msg) from None
    except OSError as exc:
        msg = f"{exc.__class__.__name__}: {exc.strerror or exc}"
        raise click.ClickException(msg) from None


def _run_admin(settings: Settings, work: Callable[[Database], Awaitable[T]]) -> T:
    """Run ``work`` with the maintenance database, disposing of it afterwards."""

    async def main() -> T:
        db = Database(settings.effective_migration_database_url)
        try:
            return await work(db)
        finally:
            await db.dispose()

    return asyncio.run(main())


def _plural(count: int, noun: str = "credential") -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _progress(done: int, total: int) -> None:
    click.echo(f"  re-sealed {done}/{total}")


@click.group("keys")
def keys() -> None:
    """Master keys that seal stored credentials (SPOJKA_MASTER_KEYS or the embedded key file)."""


@keys.command("generate")
@click.option("--id", "key_id", default=None, help="Key id (default: k<date>-<random>).")
def generate_command(key_id: str | None) -> None:
    """Print a new random key as an id:base64key entry for SPOJKA_MASTER_KEYS."""
    with _errors_as_messages():
        click.echo(generate_key_entry(key_id))


@keys.command("rotate")
@click.option("--batch-size", default=500, show_default=True, type=click.IntRange(min=1))
def rotate_command(batch_size: int) -> None:
    """Re-seal every stored credential with the active key.

    With the embedded key file a fresh key is added first and made active (unless an earlier
    rotation was interrupted: then it is finished first). With SPOJKA_MASTER_KEYS, put the new key
    first in it and restart Spojka before running this. Safe to rerun after an interruption.
    """
    with _errors_as_messages():
        settings = get_settings()
        ring = load_key_ring(settings, create=False)

        async def work(db: Database) -> tuple[KeyRing, int, list[str], bool]:
            current = ring
            await verify_key_ring(db, current)
            pending = await count_to_rotate(db, current)
            added = False
            if pending:
                click.echo(
                    f"{_plural(pending)} not yet sealed with the active key {current.active_id!r} "
                    f"({current.source})."
                )
            elif uses_key_file(settings):
                new_id = add_key_to_file(settings)
                current = load_key_ring(settings, create=False)
                added = True
                click.echo(f"Added key {new_id!r} to {current.source} as the active key.")
            else:
                msg = (
                    f"every stored credential is already sealed with the active key "
                    f"{current.active_id!r}. To rotate, generate a key (`spojka keys generate`), put it "
                    f"first in {ENV_NAME}, keep the old keys after it, restart the API and workers, "
                    "then run `spojka keys rotate` again"
                )
                raise VaultError(msg)
            click.echo(f"Re-sealing stored credentials with key {current.active_id!r}...")
            # The audit log is per tenant: each tenant whose credentials move gets its own entry.
            from spojka.audit.system import record_for_tenants, sealed_counts_by_tenant  # noqa: PLC0415

            moving = await sealed_counts_by_tenant(db, excluding_key=current.active_id)
            count = await rotate(db, current, batch_size=batch_size, progress=_progress)
            await record_for_tenants(
                db,
                {t: {"key": current.active_id, "resealed": n} for t, n in moving.items()},
                action="keys.rotated",
                label="spojka keys rotate",
            )
            idle = [
                key.key_id
                for key in await key_usage(db, current)
                if key.in_ring and not key.active and key.retired_at is None and key.sealed == 0
            ]
            return current, count, idle, added

        current, count, idle, added = _run_admin(settings, work)
        click.echo(f"Re-sealed {_plural(count)} with key {current.active_id!r}.")
        if added:
            click.echo(
                "Restart running Spojka processes now: until they reload the key file they cannot open "
                "credentials sealed with the new key."
            )
        elif uses_key_file(settings):
            click.echo(
                "Every credential is sealed with the active key; run this again to move to a fresh key."
            )
        if idle:
            click.echo(
                f"Keys that seal nothing any more: {', '.join(idle)}. "
                "Retire each with `spojka keys retire KEY_ID` once every Spojka process "
                "runs with the new key."
            )


@keys.command("retire")
@click.argument("key_id")
def retire_command(key_id: str) -> None:
    """Retire KEY_ID once nothing is sealed with it (it can then leave the key ring)."""
    with _errors_as_messages():
        settings = get_settings()
        ring = load_key_ring(settings, create=False)

        async def work(db: Database) -> None:
            await verify_key_ring(db, ring)
            retired_at = await retire(db, ring, key_id)
            click.echo(f"Key {key_id!r} is retired (since {retired_at:%Y-%m-%d %H:%M} UTC).")

        _run_admin(settings, work)
        if uses_key_file(settings):
            if remove_key_from_file(settings, key_id):
                click.echo(f"Removed it from {ring.source}.")
        elif key_id in ring:
            click.echo(f"You can now remove it from {ENV_NAME}.")


@keys.command("status")
def status_command() -> None:
    """Show each key: active or not, in the ring, verified, how many credentials it seals, retired."""
    with _errors_as_messages():
        settings = get_settings()
        ring = load_key_ring(settings, create=False)

        async def work(db: Database) -> tuple[list[KeyUsage], list[str]]:
            return await key_usage(db, ring), await key_ring_problems(db, ring)

        usage, problems = _run_admin(settings, work)
        click.echo(f"Key ring: {ring.source}")
        header = f"{'KEY':<24} {'ACTIVE':<6} {'IN RING':<7} {'VERIFIED':<8} {'SEALED':>8}  RETIRED"
        click.echo(header)
        for key in usage:
            verified = {True: "yes", False: "NO", None: "-"}[key.verified]
            if not key.recorded and key.in_ring:
                verified = "new"
            retired = f"{key.retired_at:%Y-%m-%d}" if key.retired_at else "-"
            click.echo(
                f"{key.key_id:<24} {'yes' if key.active else '':<6} {'yes' if key.in_ring else 'NO':<7} "
                f"{verified:<8} {key.sealed:>8}  {retired}"
            )
            if key.sealed and not key.in_ring and key.recorded is False:
                problems.append(f"{_plural(key.sealed)} sealed with key {key.key_id!r}, which is unknown")
        if problems:
            raise click.ClickException(
                "the key ring does not fit the stored credentials:\n" + "\n".join(problems)
            )
