"""Tenant API keys: created in the dashboard, shown once, hashed at rest, scoped, revocable."""

from __future__ import annotations

import hashlib
import uuid

import httpx
from litestar import Litestar
from sqlalchemy import select

from spojka.db import Database
from spojka.partners.models import ApiKey
from tests.support.api import ApiUser

PROBLEM_JSON = "application/problem+json"


def _bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def _new_key(owner: ApiUser, scopes: list[str], **extra: object) -> dict[str, object]:
    response = await owner.post("/api/v1/api-keys", json={"name": "import script", "scopes": scopes, **extra})
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


async def test_a_key_is_shown_once_and_stored_only_as_its_hash(app: Litestar, owner: ApiUser) -> None:
    made = await _new_key(owner, ["connections:read"])
    key = str(made["key"])
    assert key.startswith("spk_")
    assert key.startswith(str(made["prefix"]))
    listed = await owner.get("/api/v1/api-keys")
    assert listed.status_code == 200
    assert key not in listed.text
    assert "key" not in listed.json()["items"][0]
    db: Database = app.state.db
    async with db.session(tenant_id=uuid.UUID(owner.tenant_id)) as session:
        row = await session.scalar(select(ApiKey).where(ApiKey.id == uuid.UUID(str(made["id"]))))
    assert row is not None
    assert row.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert key not in repr(row.__dict__)


async def test_a_key_acts_in_its_tenant_within_its_scopes_without_csrf(owner: ApiUser) -> None:
    await owner.create_connection("test-eshop")
    key = str((await _new_key(owner, ["connections:read", "links:write"]))["key"])
    script = httpx.AsyncClient(transport=owner.client._transport, base_url="http://testserver")
    async with script:
        listed = await script.get("/api/v1/connections", headers=_bearer(key))
        assert listed.status_code == 200, listed.text
        assert listed.json()["total"] == 1
        refused = await script.post(
            "/api/v1/connections",
            headers=_bearer(key),
            json={"connector": "test-eshop", "name": "x", "settings": {}, "credentials": {}},
        )
        assert refused.status_code == 403
        assert "connections:write" in refused.json()["detail"]
        # A key cannot make keys, nor reach the dashboard's own routes.
        for method, url in (("GET", "/api/v1/api-keys"), ("GET", "/api/v1/members"), ("GET", "/api/v1/me")):
            response = await script.request(method, url, headers=_bearer(key))
            assert response.status_code == 403, f"{url}: {response.text}"
        # A key cannot be pointed at another tenant: the tenant comes from the key itself.
        header = await script.get(
            "/api/v1/connections", headers={**_bearer(key), "Spojka-Tenant": str(uuid.uuid4())}
        )
        assert header.status_code == 200
        assert header.json()["total"] == 1
        # The partner API is not for API keys.
        assert (await script.get("/partner/v1/tenants", headers=_bearer(key))).status_code == 403


async def test_links_written_with_a_key_are_audited_with_the_key_as_actor(owner: ApiUser) -> None:
    eshop = await owner.create_connection("test-eshop")
    accounting = await owner.create_connection("test-accounting")
    made = await _new_key(owner, ["links:write"])
    response = await owner.client.post(
        "/api/v1/links",
        headers=_bearer(str(made["key"])),
        json={
            "name": "scripted",
            "eshopConnectionId": eshop["id"],
            "accountingConnectionId": accounting["id"],
        },
    )
    assert response.status_code == 201, response.text
    entries = (await owner.get("/api/v1/audit")).json()["items"]
    created = next(e for e in entries if e["action"] == "link.created")
    assert created["actorType"] == "api_key"
    assert created["actorId"] == made["id"]
    assert created["actorLabel"] == "API key import script"
    assert any(e["action"] == "api_key.created" and e["actorType"] == "user" for e in entries)


async def test_revoked_forged_or_foreign_keys_are_401(owner: ApiUser) -> None:
    made = await _new_key(owner, ["connections:read"])
    key = str(made["key"])
    prefix, tenant_hex, secret = key.split("_", 2)
    other_tenant = uuid.uuid4().hex
    forged = [
        f"{prefix}_{tenant_hex}_{secret[:-1]}{'A' if secret[-1] != 'A' else 'B'}",
        f"{prefix}_{other_tenant}_{secret}",
        f"{prefix}_nothex_{secret}",
        f"{prefix}_{tenant_hex}",
    ]
    for candidate in forged:
        response = await owner.client.get("/api/v1/connections", headers=_bearer(candidate))
        assert response.status_code == 401, candidate
        assert response.headers["content-type"].startswith(PROBLEM_JSON)
    assert (await owner.client.get("/api/v1/connections", headers=_bearer(key))).status_code == 200
    revoked = await owner.delete(f"/api/v1/api-keys/{made['id']}")
    assert revoked.status_code == 204
    assert (await owner.client.get("/api/v1/connections", headers=_bearer(key))).status_code == 401
    listed = (await owner.get("/api/v1/api-keys")).json()["items"]
    assert listed[0]["revokedAt"] is not None


async def test_bad_scopes_are_refused_and_create_nothing(owner: ApiUser) -> None:
    for scopes in (["clients:write"], ["everything:all"], [], ["Not A Scope"]):
        response = await owner.post("/api/v1/api-keys", json={"name": "bad", "scopes": scopes})
        assert response.status_code in (400, 422), f"{scopes}: {response.text}"
        assert response.headers["content-type"].startswith(PROBLEM_JSON)
    assert (await owner.get("/api/v1/api-keys")).json()["total"] == 0


async def test_a_key_has_its_own_rate_limit(owner: ApiUser) -> None:
    key = str((await _new_key(owner, ["connections:read"], rateLimitPerMinute=2))["key"])
    statuses = [
        (await owner.client.get("/api/v1/connections", headers=_bearer(key))).status_code for _ in range(3)
    ]
    assert statuses == [200, 200, 429]
    limited = await owner.client.get("/api/v1/connections", headers=_bearer(key))
    assert int(limited.headers["retry-after"]) >= 1
    # The owner's own session is not affected.
    assert (await owner.get("/api/v1/connections")).status_code == 200
