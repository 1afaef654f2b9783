"""Sign-up, sign-in, sessions, CSRF, rate limits, roles and invitations, over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import httpx
import pytest
from litestar import Litestar

from tests.conftest import DatabaseUnderTest
from tests.integration.conftest import build_registry, make_settings
from tests.support.api import PASSWORD, ApiUser
from tests.support.platform import running_app

NewUser = Callable[[], Awaitable[ApiUser]]


async def test_signup_sets_a_safe_session_cookie_and_security_headers(new_user: NewUser) -> None:
    user = await new_user()
    response = await user.post(
        "/api/v1/auth/signup",
        json={"email": "Petra.Mala@Example.CZ", "password": PASSWORD, "companyName": "Malá s.r.o."},
    )
    assert response.status_code == 201
    cookie = response.headers["set-cookie"].lower()
    assert "spojka_session=" in cookie
    assert "httponly" in cookie
    assert "samesite=lax" in cookie
    assert response.json()["user"]["email"] == "petra.mala@example.cz"
    headers = response.headers
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "strict-origin-when-cross-origin"


async def test_signup_refuses_weak_password_and_duplicate_email(new_user: NewUser) -> None:
    user = await new_user()
    weak = await user.post(
        "/api/v1/auth/signup",
        json={"email": "weak@example.cz", "password": "password123", "companyName": "W"},
    )
    assert weak.status_code == 422
    assert "too common" in weak.json()["detail"]
    await user.signup(email="dupe@example.cz")
    other = await new_user()
    again = await other.post(
        "/api/v1/auth/signup", json={"email": "dupe@example.cz", "password": PASSWORD, "companyName": "D"}
    )
    assert again.status_code == 409


async def test_login_failure_does_not_say_which_part_was_wrong(owner: ApiUser, new_user: NewUser) -> None:
    stranger = await new_user()
    wrong_password = await stranger.post(
        "/api/v1/auth/login", json={"email": owner.email, "password": "x" * 12}
    )
    unknown_email = await stranger.post(
        "/api/v1/auth/login", json={"email": "nobody@example.cz", "password": "x" * 12}
    )
    assert wrong_password.status_code == unknown_email.status_code == 401
    assert wrong_password.json()["detail"] == unknown_email.json()["detail"]


async def test_unsafe_method_without_csrf_token_is_refused(owner: ApiUser) -> None:
    response = await owner.client.post("/api/v1/connections", json={})
    assert response.status_code == 403


async def test_viewer_reads_but_cannot_change(owner: ApiUser, new_user: NewUser) -> None:
    link = await owner.create_link()
    invite = await owner.post("/api/v1/invitations", json={"email": "viewer@example.cz", "role": "viewer"})
    assert invite.status_code == 201
    token = invite.json()["token"]
    assert invite.json()["acceptUrl"].endswith(token)

    viewer = await new_user()
    accepted = await viewer.post("/api/v1/invitations/accept", json={"token": token, "password": PASSWORD})
    assert accepted.status_code == 201, accepted.text
    assert accepted.json()["tenant"]["id"] == owner.tenant_id
    assert accepted.json()["tenant"]["role"] == "viewer"

    assert (await viewer.get(f"/api/v1/links/{link['id']}")).status_code == 200
    assert (await viewer.patch(f"/api/v1/links/{link['id']}", json={"paused": True})).status_code == 403
    assert (await viewer.delete(f"/api/v1/links/{link['id']}")).status_code == 403
    assert (await viewer.post("/api/v1/invitations", json={"email": "x@example.cz"})).status_code == 403
    # The same token cannot be used twice.
    third = await new_user()
    assert (
        await third.post("/api/v1/invitations/accept", json={"token": token, "password": PASSWORD})
    ).status_code == 404


async def test_removed_member_loses_access_at_once(owner: ApiUser, new_user: NewUser) -> None:
    invite = await owner.post("/api/v1/invitations", json={"email": "admin2@example.cz", "role": "admin"})
    admin = await new_user()
    joined = await admin.post(
        "/api/v1/invitations/accept", json={"token": invite.json()["token"], "password": PASSWORD}
    )
    user_id = joined.json()["user"]["id"]
    assert (await admin.get("/api/v1/links")).status_code == 200
    # An admin cannot remove the owner, and the last owner cannot be demoted.
    owner_id = (await owner.get("/api/v1/me")).json()["user"]["id"]
    assert (await admin.delete(f"/api/v1/members/{owner_id}")).status_code == 403
    assert (await owner.patch(f"/api/v1/members/{owner_id}", json={"role": "admin"})).status_code == 409
    assert (await owner.delete(f"/api/v1/members/{user_id}")).status_code == 204
    assert (await admin.get("/api/v1/links")).status_code == 401
    audit = (await owner.get("/api/v1/audit")).json()["items"]
    actions = [entry["action"] for entry in audit]
    assert "member.removed" in actions
    assert "member.invited" in actions


async def test_every_change_lands_in_the_audit_log_without_secrets(owner: ApiUser) -> None:
    conn = await owner.create_connection("test-eshop", credentials={"apiToken": "audit-secret-value"})
    await owner.patch(
        f"/api/v1/connections/{conn['id']}", json={"credentials": {"apiToken": "another-secret-1"}}
    )
    link = await owner.create_link()
    await owner.patch(f"/api/v1/links/{link['id']}", json={"paused": True})
    await owner.delete(f"/api/v1/links/{link['id']}")
    body = (await owner.get("/api/v1/audit?limit=200")).json()
    actions = {entry["action"] for entry in body["items"]}
    assert {
        "connection.created",
        "connection.updated",
        "link.created",
        "link.updated",
        "link.deleted",
    } <= actions
    assert all(entry["actorLabel"] == owner.email for entry in body["items"])
    assert "audit-secret-value" not in str(body)
    assert "another-secret-1" not in str(body)


async def test_connection_check_uses_the_sealed_credentials(owner: ApiUser) -> None:
    good = await owner.create_connection("test-eshop")
    result = await owner.post(f"/api/v1/connections/{good['id']}/check")
    assert result.json()["ok"] is True
    await owner.patch(
        f"/api/v1/connections/{good['id']}", json={"credentials": {"apiToken": "bad-token-456"}}
    )
    result = await owner.post(f"/api/v1/connections/{good['id']}/check")
    assert result.json() | {"checkedAt": None} == {
        "ok": False,
        "message": "The token was refused.",
        "checkedAt": None,
        "details": {},
    }
    assert (await owner.get(f"/api/v1/connections/{good['id']}")).json()["lastCheck"]["ok"] is False


async def test_connection_in_use_cannot_be_deleted(owner: ApiUser) -> None:
    link = await owner.create_link()
    response = await owner.delete(f"/api/v1/connections/{link['eshopConnectionId']}")
    assert response.status_code == 409
    assert link["name"] in response.json()["detail"]


# -- rate limits: an app of its own with low limits ---------------------------------------


@pytest.fixture
async def strict_app(
    test_database: DatabaseUnderTest, redis_url: str, tmp_path: Path
) -> AsyncIterator[Litestar]:
    settings = make_settings(
        test_database,
        tmp_path,
        signup_limit_per_ip_hour=3,
        login_limit_per_email_15min=3,
        login_limit_per_ip_15min=100,
    )
    async with running_app(settings, build_registry(), redis_url) as application:
        # Rate-limit counters live in Redis: start from a clean slate for this client address.
        redis = application.state.redis
        async for key in redis.scan_iter("spojka:rl:*"):
            await redis.delete(key)
        yield application


async def test_login_and_signup_are_rate_limited_before_hashing(strict_app: Litestar) -> None:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=strict_app), base_url="http://t"
    ) as client:
        user = ApiUser(client)
        await user.signup(email="limited@example.cz")
        statuses = [
            (
                await user.post(
                    "/api/v1/auth/login", json={"email": "limited@example.cz", "password": "wrong-password-x"}
                )
            ).status_code
            for _ in range(4)
        ]
        assert statuses == [401, 401, 401, 429]
        limited = await user.post(
            "/api/v1/auth/login", json={"email": "limited@example.cz", "password": PASSWORD}
        )
        assert limited.status_code == 429
        assert int(limited.headers["retry-after"]) > 0
        signups = [
            (
                await user.post(
                    "/api/v1/auth/signup",
                    json={"email": f"s{i}@example.cz", "password": PASSWORD, "companyName": "S"},
                )
            ).status_code
            for i in range(3)
        ]
        assert signups[-1] == 429
