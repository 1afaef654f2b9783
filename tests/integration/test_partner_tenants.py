"""``/partner/v1/tenants`` and a partner token calling the tenant API with ``Spojka-Tenant``."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

from litestar import Litestar

from spojka.db import Database
from spojka.partners.models import PartnerClient
from tests.support.api import PASSWORD, ApiUser
from tests.support.partners import ApiPartner, NewPartner, new_partner

__all__ = ("new_partner",)

NewUser = Callable[[], Awaitable[ApiUser]]
PROBLEM_JSON = "application/problem+json"


async def test_create_list_read_suspend_reactivate(new_partner: NewPartner) -> None:
    partner = await new_partner()
    first = await partner.create_tenant("Klient Jedna s.r.o.")
    second = await partner.create_tenant("Klient Dva a.s.")
    assert first["status"] == "active"
    assert first["invitation"] is None

    listed = await partner.get("/partner/v1/tenants")
    assert listed.status_code == 200
    assert [t["name"] for t in listed.json()["items"]] == ["Klient Jedna s.r.o.", "Klient Dva a.s."]
    assert listed.json()["total"] == 2

    one = await partner.get(f"/partner/v1/tenants/{second['id']}")
    assert one.status_code == 200
    assert one.json()["name"] == "Klient Dva a.s."

    suspended = await partner.post(f"/partner/v1/tenants/{second['id']}/suspend")
    assert suspended.status_code == 200, suspended.text
    assert suspended.json()["status"] == "suspended"
    only_active = await partner.get("/partner/v1/tenants", params={"status": "active"})
    assert [t["id"] for t in only_active.json()["items"]] == [first["id"]]
    back = await partner.post(f"/partner/v1/tenants/{second['id']}/reactivate")
    assert back.json()["status"] == "active"

    # The tenant's audit log names the partner's client as the actor.
    audit = await partner.get("/api/v1/audit", tenant=second["id"])
    assert audit.status_code == 200, audit.text
    actions = [(e["action"], e["actorType"], e["actorId"]) for e in audit.json()["items"]]
    assert ("tenant.suspended", "partner_client", partner.client_id) in actions
    assert ("tenant.reactivated", "partner_client", partner.client_id) in actions
    assert ("tenant.created", "partner_client", partner.client_id) in actions


async def test_bad_input_is_refused_and_creates_nothing(new_partner: NewPartner) -> None:
    partner = await new_partner()
    for body in (
        {},
        {"name": ""},
        {"name": "x", "color": "red"},
        {"name": "x", "ownerEmail": "not an address"},
    ):
        response = await partner.post("/partner/v1/tenants", json=body)
        assert response.status_code in (400, 422), f"{body}: {response.status_code} {response.text}"
        assert response.headers["content-type"].startswith(PROBLEM_JSON)
    assert (await partner.get("/partner/v1/tenants")).json()["total"] == 0


async def test_owner_invitation_lets_the_owner_in_until_suspended(
    new_partner: NewPartner, new_user: NewUser
) -> None:
    partner = await new_partner()
    email = f"majitel-{uuid.uuid4().hex[:8]}@example.cz"
    tenant = await partner.create_tenant("Klient s pozvánkou", ownerEmail=email)
    invitation = tenant["invitation"]
    assert invitation["email"] == email
    assert invitation["role"] == "owner"
    assert invitation["acceptUrl"].endswith(invitation["token"])

    owner = await new_user()
    accepted = await owner.post(
        "/api/v1/invitations/accept", json={"token": invitation["token"], "password": PASSWORD}
    )
    assert accepted.status_code == 201, accepted.text
    me = (await owner.get("/api/v1/me")).json()
    assert me["tenant"]["id"] == tenant["id"]
    assert me["tenant"]["role"] == "owner"

    # A second invitation through its own route.
    another = await partner.post(
        f"/partner/v1/tenants/{tenant['id']}/invitations", json={"email": "druhy@example.cz"}
    )
    assert another.status_code == 201, another.text

    key = await owner.post("/api/v1/api-keys", json={"name": "owner's script", "scopes": ["runs:read"]})
    assert key.status_code == 201, key.text
    bearer = {"Authorization": f"Bearer {key.json()['key']}"}
    assert (await owner.client.get("/api/v1/audit", headers=bearer)).status_code == 403  # no audit:read

    await partner.post(f"/partner/v1/tenants/{tenant['id']}/suspend")
    login = await owner.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert login.status_code == 401
    # The tenant's API keys stop working with it.
    assert (await owner.client.get("/api/v1/connections", headers=bearer)).status_code == 401


async def test_partner_token_calls_the_tenant_api_without_csrf(new_partner: NewPartner) -> None:
    partner = await new_partner()
    tenant = await partner.create_tenant()
    created = await partner.post(
        "/api/v1/connections",
        tenant=tenant["id"],
        json={
            "connector": "test-eshop",
            "name": "Eshop klienta",
            "settings": {"shopUrl": "https://shop.example.cz", "stockId": 1},
            "credentials": {"apiToken": "good-token-123"},
        },
    )
    assert created.status_code == 201, created.text
    listed = await partner.get("/api/v1/connections", tenant=tenant["id"])
    assert [c["name"] for c in listed.json()["items"]] == ["Eshop klienta"]
    entry = next(
        e
        for e in (await partner.get("/api/v1/audit", tenant=tenant["id"])).json()["items"]
        if e["action"].startswith("connection.")
    )
    assert entry["actorType"] == "partner_client"
    assert entry["actorId"] == partner.client_id
    assert entry["actorLabel"].endswith("/ default")


async def test_tenant_header_is_needed_and_must_be_managed(new_partner: NewPartner) -> None:
    partner = await new_partner()
    other = await new_partner()
    mine = await partner.create_tenant()
    theirs = await other.create_tenant()

    missing = await partner.get("/api/v1/connections")
    assert missing.status_code == 400
    assert "Spojka-Tenant" in missing.json()["detail"]
    foreign = await partner.get("/api/v1/connections", tenant=theirs["id"])
    random = await partner.get("/api/v1/connections", tenant=str(uuid.uuid4()))
    garbage = await partner.get("/api/v1/connections", tenant="not-a-uuid")
    assert foreign.status_code == 404
    assert (foreign.status_code, foreign.json()) == (random.status_code, random.json())
    assert (garbage.status_code, garbage.json()) == (random.status_code, random.json())
    assert (await partner.get(f"/partner/v1/tenants/{theirs['id']}")).status_code == 404
    assert (await partner.post(f"/partner/v1/tenants/{theirs['id']}/suspend")).status_code == 404
    assert (await other.get(f"/partner/v1/tenants/{theirs['id']}")).json()["status"] == "active"
    assert (await partner.get("/api/v1/connections", tenant=mine["id"])).status_code == 200
    listed = (await partner.get("/partner/v1/tenants")).json()
    assert [t["id"] for t in listed["items"]] == [mine["id"]]


async def test_scopes_limit_what_a_token_may_do(new_partner: NewPartner) -> None:
    partner = await new_partner()
    tenant = await partner.create_tenant()
    reader = await partner.fetch_token("tenants:read connections:read")
    allowed = await partner.get("/api/v1/connections", tenant=tenant["id"], token=reader)
    assert allowed.status_code == 200
    refusals = [
        await partner.post("/partner/v1/tenants", json={"name": "nope"}, token=reader),
        await partner.post(
            "/api/v1/connections",
            tenant=tenant["id"],
            token=reader,
            json={"connector": "test-eshop", "name": "x", "settings": {}, "credentials": {}},
        ),
        await partner.get("/api/v1/links", tenant=tenant["id"], token=reader),
        await partner.get("/api/v1/audit", tenant=tenant["id"], token=reader),
        await partner.get("/partner/v1/clients", token=reader),
    ]
    for response in refusals:
        assert response.status_code == 403, response.text
        assert "scope" in response.json()["detail"]
    # Dashboard-only routes are closed to every token, whatever its scopes.
    full = await partner.fetch_token()
    for method, url in (
        ("GET", "/api/v1/members"),
        ("GET", "/api/v1/me"),
        ("POST", "/api/v1/auth/switch-tenant"),
    ):
        response = await partner.request(
            method, url, tenant=tenant["id"], token=full, json={"tenantId": tenant["id"]}
        )
        assert response.status_code == 403, f"{method} {url}: {response.text}"
    assert (await partner.get("/partner/v1/tenants", token=reader)).status_code == 200
    assert len((await partner.get("/partner/v1/tenants", token=reader)).json()["items"]) == 1


async def test_taking_a_scope_from_the_client_takes_it_from_its_tokens(
    app: Litestar, new_partner: NewPartner
) -> None:
    partner = await new_partner()
    token = await partner.fetch_token()
    assert (await partner.post("/partner/v1/tenants", json={"name": "a"}, token=token)).status_code == 201
    db: Database = app.state.db
    async with db.session() as session:
        client = await session.get(PartnerClient, uuid.UUID(partner.client_id))
        assert client is not None
        client.scopes = "tenants:read"
    assert (await partner.post("/partner/v1/tenants", json={"name": "b"}, token=token)).status_code == 403


async def test_sessions_cannot_use_the_partner_api_and_anonymous_callers_get_401(
    owner: ApiUser, new_partner: NewPartner
) -> None:
    as_user = await owner.get("/partner/v1/tenants")
    assert as_user.status_code == 403
    assert "partner" in as_user.json()["detail"]
    anonymous = await (await new_partner()).client.get("/partner/v1/tenants")
    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"] == "Bearer"


async def test_a_cookie_session_still_needs_csrf_even_beside_partner_traffic(owner: ApiUser) -> None:
    response = await owner.client.post("/api/v1/connections", json={"connector": "test-eshop"})
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


async def test_rate_limit_per_client_answers_429_with_retry_after(new_partner: NewPartner) -> None:
    partner = await new_partner()
    made = await partner.post(
        "/partner/v1/clients", json={"name": "slow", "scopes": ["tenants:read"], "ratePerMinute": 3}
    )
    assert made.status_code == 400
    made = await partner.post(
        "/partner/v1/clients", json={"name": "slow", "scopes": ["tenants:read"], "rateLimitPerMinute": 3}
    )
    assert made.status_code == 201, made.text
    slow = ApiPartner(partner.client, partner.partner_id, made.json()["id"], made.json()["clientSecret"])
    await slow.fetch_token()
    statuses = [(await slow.get("/partner/v1/tenants")).status_code for _ in range(3)]
    assert statuses == [200, 200, 200]
    limited = await slow.get("/partner/v1/tenants")
    assert limited.status_code == 429
    assert 1 <= int(limited.headers["retry-after"]) <= 60
    assert limited.headers["content-type"].startswith(PROBLEM_JSON)
    # Another client of the same partner has its own budget.
    assert (await partner.get("/partner/v1/tenants")).status_code == 200


async def test_event_endpoints_refuse_bad_urls_and_create_nothing(new_partner: NewPartner) -> None:
    partner = await new_partner()
    for url in (
        "http://\U000c58b8\u00ac/x",
        "ftp://example.cz/x",
        "https://",
        "not a url",
        "https://a b.cz/",
    ):
        response = await partner.post(
            "/partner/v1/event-endpoints", json={"url": url, "events": ["run.failed"]}
        )
        assert response.status_code in (400, 422), f"{url!r}: {response.status_code} {response.text}"
        assert response.headers["content-type"].startswith(PROBLEM_JSON)
    unknown_event = await partner.post(
        "/partner/v1/event-endpoints", json={"url": "https://example.cz/x", "events": ["run.exploded"]}
    )
    assert unknown_event.status_code == 400
    assert (await partner.get("/partner/v1/event-endpoints")).json()["total"] == 0
