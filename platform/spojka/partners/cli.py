"""``spojka partners``: create partners (with their first OAuth2 client) and rotate the key that
signs access tokens. Errors are one ``Error: ...`` line with exit code 1."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import TypeVar

import click
from sqlalchemy.exc import SQLAlchemyError

from spojka.auth.scopes import SCOPES, parse_scopes
from spojka.db import Database
from spojka.http.problems import Problem
from spojka.partners.services import ALL_SCOPES, create_partner
from spojka.partners.tokens import rotate_signing_key
from spojka.settings import SettingsError, get_settings
from spojka.vault import VaultError, load_key_ring

__all__ = ("partners",)

T = TypeVar("T")


def _run(work: Callable[[Database], Awaitable[T]]) -> T:
    try:
        settings = get_settings()

        async def main() -> T:
            db = Database(settings.effective_database_url)
            try:
                return await work(db)
            finally:
                await db.dispose()

        return asyncio.run(main())
    except Problem as exc:
        raise click.ClickException(str(exc.detail)) from None
    except (SettingsError, VaultError) as exc:
        raise click.ClickException(str(exc)) from None
    except SQLAlchemyError as exc:
        cause = getattr(exc, "orig", None) or exc
        first_line = str(cause).splitlines()[0] if str(cause) else ""
        raise click.ClickException(f"database error: {type(cause).__name__}: {first_line}") from None


@click.group()
def partners() -> None:
    """Partners (integrators, resellers) and their API access."""


@partners.command("create")
@click.argument("name")
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    help=f"A scope of the first client (repeatable; default: all). Known: {', '.join(SCOPES)}.",
)
def create(name: str, scopes: tuple[str, ...]) -> None:
    """Create a partner and its first OAuth2 client; print the client id and secret once, as JSON."""
    wanted = parse_scopes(" ".join(scopes)) if scopes else ALL_SCOPES

    async def work(db: Database) -> dict[str, object]:
        async with db.session() as session:
            partner, made = await create_partner(session, name, scopes=wanted)
            return {
                "partnerId": str(partner.id),
                "name": partner.name,
                "clientId": str(made.client.id),
                "clientSecret": made.secret,
                "scopes": sorted(wanted),
                "tokenUrl": "/oauth/token",
            }

    click.echo(json.dumps(_run(work)))


@partners.command("rotate-signing-key")
def rotate_signing_key_command() -> None:
    """Start signing access tokens with a new key; tokens already issued stay valid until they expire."""

    async def work(db: Database) -> str:
        settings = get_settings()
        return await rotate_signing_key(db, load_key_ring(settings, create=not settings.is_production))

    click.echo(json.dumps({"activeKeyId": _run(work)}))
