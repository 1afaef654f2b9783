"""The new user's first minutes, through the HTTP API: sign up, connect, link, sign out."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy import text

from spojka.db import Database
from tests.conftest import DatabaseUnderTest
from tests.support.api import PASSWORD, ApiUser

SECRET = "super-secret-shop-token-42"


async def test_signup_connect_link_logout(
    new_user: Callable[[], Awaitable[ApiUser]], test_database: DatabaseUnderTest
) -> None:
    user = await new_user()
    me = await user.signup(company="Bylinky s.r.o.")
    assert me["tenant"]["name"] == "Bylinky s.r.o."
    assert me["tenant"]["role"] == "owner"

    created = await user.create_connection("test-eshop", credentials={"apiToken": SECRET})
    assert created["credentials"] == {"apiToken": "set"}
    assert SECRET not in str(created)

    read = (await user.get(f"/api/v1/connections/{created['id']}")).json()
    assert read["credentials"] == {"apiToken": "set"}
    assert read["settings"]["shopUrl"] == "https://shop.example.cz"

    link = await user.create_link()
    assert link["flows"]["orders"]["everyMinutes"] == 15
    assert (await user.get("/api/v1/links")).json()["total"] == 1

    assert (await user.post("/api/v1/auth/logout")).status_code == 204
    assert (await user.get("/api/v1/me")).status_code == 401

    again = await user.post("/api/v1/auth/login", json={"email": user.email, "password": PASSWORD})
    assert again.status_code == 200
    assert (await user.get("/api/v1/me")).json()["user"]["email"] == user.email

    # The secret is nowhere in the database in plain text.
    db = Database(test_database.owner_url)
    try:
        async with db.engine.connect() as conn:
            envelopes = (await conn.execute(text("SELECT envelope FROM sealed_secrets"))).scalars().all()
            dump = " ".join(str(r) for r in (await conn.execute(text("SELECT * FROM connections"))).all())
    finally:
        await db.dispose()
    assert envelopes
    assert all(SECRET not in e for e in envelopes)
    assert SECRET not in dump
