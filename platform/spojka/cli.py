"""``spojka``: the command line. It only assembles what the packages provide."""

from __future__ import annotations

import asyncio
import sys

import click

from spojka.settings import Settings, SettingsError, get_settings


def _settings() -> Settings:
    try:
        return get_settings()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None


def _preflight() -> None:
    """Refuse to start with a key ring that cannot open what is stored, before serving anything."""
    from spojka.db import Database
    from spojka.vault import VaultError, load_key_ring, verify_key_ring

    settings = _settings()

    async def check() -> None:
        db = Database(settings.effective_database_url)
        try:
            await verify_key_ring(db, load_key_ring(settings, create=not settings.is_production))
        finally:
            await db.dispose()

    try:
        asyncio.run(check())
    except VaultError as exc:
        raise click.ClickException(f"refusing to start: {exc}") from None


@click.group()
@click.version_option(package_name="spojka")
def main() -> None:
    """Spojka links e-shops with accounting systems."""


@main.command()
def migrate() -> None:
    """Bring the database schema up to date (safe to run again) and grant the runtime role."""
    from spojka.db.migrate import grant_runtime_role, upgrade

    settings = _settings()
    upgrade(settings.effective_migration_database_url)
    role = grant_runtime_role(settings.effective_migration_database_url, settings.effective_database_url)
    click.echo("database is up to date" + (f"; runtime role {role!r} granted" if role else ""))


@main.command()
@click.option("--host", default=None, help="Interface to listen on (default SPOJKA_HOST).")
@click.option("--port", default=None, type=int, help="Port to listen on (default SPOJKA_PORT).")
def api(host: str | None, port: int | None) -> None:
    """Serve the HTTP API and the dashboard."""
    import uvicorn

    from spojka.app import create_app

    settings = _settings()
    _preflight()
    uvicorn.run(
        create_app(settings),
        host=host or settings.host,
        port=port or settings.port,
        access_log=False,
        log_config=None,
        proxy_headers=False,
        lifespan="on",
    )


@main.command()
@click.option("--check", is_flag=True, help="Liveness probe: exit 0 if this host's worker is healthy.")
@click.option("--burst", is_flag=True, help="Run queued jobs, then exit.")
def worker(check: bool, burst: bool) -> None:
    """Run the background worker (flows, scheduler)."""
    from spojka.system import configure_logging
    from spojka.worker import check_worker_health, run_worker

    settings = _settings()
    configure_logging(settings)
    if check:
        sys.exit(check_worker_health(settings))
    _preflight()
    run_worker(settings, burst=burst)


@main.command()
def run() -> None:
    """API and worker together on one machine (embedded default); Ctrl-C stops everything."""
    from spojka.db.migrate import grant_runtime_role, upgrade
    from spojka.runtime import run_all

    settings = _settings()
    upgrade(settings.effective_migration_database_url)
    grant_runtime_role(settings.effective_migration_database_url, settings.effective_database_url)
    _preflight()
    sys.exit(run_all(settings))


@main.command()
@click.option("--world", is_flag=True, hidden=True, help="Run only the demo world (a child of spojka demo).")
def demo(world: bool) -> None:
    """Spojka with a simulated Shoptet shop and POHODA company, live (what `make run` starts)."""
    settings = _settings()
    if world:
        from spojka.demo.command import run_world

        sys.exit(run_world(settings))
    from spojka.db.migrate import grant_runtime_role, upgrade
    from spojka.demo.command import run_demo

    upgrade(settings.effective_migration_database_url)
    grant_runtime_role(settings.effective_migration_database_url, settings.effective_database_url)
    _preflight()
    sys.exit(run_demo(settings))


@main.command(name="settings")
def settings_command() -> None:
    """Print every SPOJKA_* setting with its default and meaning (Markdown)."""
    from spojka.settings import settings_markdown

    click.echo(settings_markdown())


@main.command()
@click.argument("name")
@click.option("--port", default=0, type=int, help="Port to listen on (default: any free port).")
@click.option("--host", default="127.0.0.1", help="Interface to listen on.")
@click.option("--seed", default=0, type=int, help="Seed of the simulated data.")
def simulate(name: str, port: int, host: str, seed: int) -> None:
    """Serve the simulator of a remote system (``shoptet``, ``pohoda``) until interrupted.

    The first line printed is one JSON object: the base URL, and the settings and credentials a
    Spojka connection to the simulator needs.
    """
    from spojka.simulate import serve_simulator

    sys.exit(serve_simulator(name, host=host, port=port, seed=seed))


def _attach_groups() -> None:
    from spojka.partners.cli import partners
    from spojka.vault.cli import keys

    main.add_command(keys)
    main.add_command(partners)


_attach_groups()
