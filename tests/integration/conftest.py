"""The running application for integration tests, and signed-in users of it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import httpx
import pytest
from litestar import Litestar

from spojka.connector.registry import Registry
from spojka.settings import Settings
from spojka.vault import generate_key_entry
from tests.conftest import DatabaseUnderTest
from tests.support.api import ApiUser
from tests.support.connectors import accounting_connector, eshop_connector
from tests.support.platform import running_app


def make_settings(db: DatabaseUnderTest, var_dir: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "database_url": db.runtime_url,
        "migration_database_url": db.owner_url,
        "var_dir": str(var_dir),
        "master_keys": KEY_ENTRY,
        "secret_key": "test-csrf-secret-0123456789",
        "signup_limit_per_ip_hour": 100_000,
        "login_limit_per_ip_15min": 100_000,
        "login_limit_per_email_15min": 1_000,
        "log_format": "json",
        "log_level": "WARNING",
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


KEY_ENTRY = generate_key_entry("test1")


def build_registry() -> Registry:
    registry = Registry()
    registry.register(eshop_connector())
    registry.register(accounting_connector())
    return registry


@pytest.fixture(scope="session")
async def app(
    test_database: DatabaseUnderTest, redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Litestar]:
    """One application (lifespan started) shared by the integration tests."""
    settings = make_settings(test_database, tmp_path_factory.mktemp("var"))
    async with running_app(settings, build_registry(), redis_url) as application:
        yield application


@pytest.fixture
async def new_user(app: Litestar) -> AsyncIterator[Callable[[], Awaitable[ApiUser]]]:
    """Factory of API users, each with its own cookie jar (not yet signed up)."""
    clients: list[httpx.AsyncClient] = []

    async def make() -> ApiUser:
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
        clients.append(client)
        return ApiUser(client)

    yield make
    for client in clients:
        await client.aclose()


@pytest.fixture
async def owner(new_user: Callable[[], Awaitable[ApiUser]]) -> ApiUser:
    """A freshly signed-up owner of a new tenant."""
    user = await new_user()
    await user.signup()
    return user
