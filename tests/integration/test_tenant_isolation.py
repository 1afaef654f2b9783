"""Tenants never meet: tenant B cannot read, change or even detect any object of tenant A.

Tenant A owns one of everything (two connections, a link, a run with an event, a pending invitation,
a second member). The route walk is generic: it iterates ``app.routes``, so a route added later is
covered without touching this file, and it fails for a route whose path parameter it does not know
how to fill (add the parameter to ``TenantA.ids_by_parameter``) unless the route is listed in
``PUBLIC_PARAMETRISED_ROUTES`` with the reason it may be reached by anyone.
"""

from __future__ import annotations

import itertools
import json
import re
import types
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal, Union, get_args, get_origin

import msgspec
import pytest
from litestar import Litestar
from litestar.handlers import HTTPRouteHandler
from litestar.routes import HTTPRoute

from spojka.auth.scopes import tenant_route_scope
from spojka.db import Database, utcnow
from spojka.partners.models import PartnerTenant
from spojka.runs.models import Run, RunEvent
from tests.conftest import DatabaseUnderTest
from tests.support.api import PASSWORD, ApiUser
from tests.support.partners import ApiPartner, NewPartner, new_partner

NewUser = Callable[[], Awaitable[ApiUser]]
__all__ = ("new_partner",)  # the fixture, imported for the partner walk

PROBLEM_JSON = "application/problem+json"
METHOD_ORDER = {"GET": 0, "HEAD": 0, "DELETE": 2}
PATH_PARAMETER = re.compile(r"\{(?P<name>\w+)(?::\w+)?\}")

#: Routes with path parameters that anyone may call, and why that is safe. Keep the reason honest.
PUBLIC_PARAMETRISED_ROUTES: dict[str, str] = {
    "/schema/{path:str}": "Litestar's OpenAPI documentation pages: the parameter names a page, not an object",
    "/{path:path}": (
        "the dashboard's static build (spojka.http.static): the parameter names a file of the build or "
        "a page of the single-page app, never an object; reserved API prefixes answer 404 "
        "(tests/integration/test_static_frontend.py)"
    ),
    "/api/v1/hooks/{connection_id:uuid}/{token:str}": (
        "webhook intake is anonymous by design: it finds its tenant only through the secret token "
        "(row-level security shows the endpoint to whoever binds the token's hash); a wrong token is 404 "
        "(tests/integration/test_webhooks.py)"
    ),
    "/api/v1/installs/{connector:str}": (
        "an e-shop platform's add-on install call is anonymous by design: the parameter names a connector, "
        "not an object; it reaches a tenant only after the remote confirms the install by exchanging its "
        "code, and then only that e-shop's (tests/integration/test_addon_install.py)"
    ),
}

#: Routes only partner tokens may call (walked as a second partner at the end of this file).
PARTNER_API = "/partner/"

#: A valid-looking body for each request type an id route takes; a new type falls back to a generated one.
SAMPLE_BODIES: dict[str, dict[str, Any]] = {
    "MemberUpdateIn": {"role": "viewer"},
    "ConnectionPatch": {"name": "taken over by B", "credentials": {"apiToken": "b-owns-this-now"}},
    "LinkPatch": {"name": "taken over by B", "paused": True},
}


@dataclass
class TenantA:
    """Tenant A's people and objects, and how to read all of them back."""

    owner: ApiUser
    member: ApiUser
    tenant_id: str
    owner_user_id: str
    member_user_id: str
    eshop: dict[str, Any]
    accounting: dict[str, Any]
    link: dict[str, Any]
    invitation: dict[str, Any]
    run_id: str
    event_id: str
    secrets: list[str] = field(default_factory=list)
    #: A's API key and event endpoint (partner issue: tenant-owned machine access and notifications).
    api_key: dict[str, Any] = field(default_factory=dict)
    endpoint: dict[str, Any] = field(default_factory=dict)

    @property
    def ids_by_parameter(self) -> dict[str, list[str]]:
        """A's ids to substitute for each path parameter name a route may have."""
        return {
            "connection_id": [self.eshop["id"], self.accounting["id"]],
            "link_id": [self.link["id"]],
            "run_id": [self.run_id],
            "event_id": [self.event_id],
            "invitation_id": [self.invitation["id"]],
            "user_id": [self.member_user_id, self.owner_user_id],
            "member_id": [self.member_user_id, self.owner_user_id],
            "tenant_id": [self.tenant_id],
            "api_key_id": [self.api_key["id"]],
            "endpoint_id": [self.endpoint["id"]],
        }

    @property
    def markers(self) -> list[str]:
        """Strings that identify A's data; none may appear in anything B reads."""
        return [
            self.tenant_id,
            self.owner_user_id,
            self.member_user_id,
            self.owner.email,
            self.member.email,
            self.invitation["email"],
            self.eshop["id"],
            self.accounting["id"],
            self.eshop["name"],
            self.accounting["name"],
            self.link["id"],
            self.link["name"],
            self.invitation["id"],
            self.run_id,
            self.event_id,
            *self.secrets,
            self.api_key["id"],
            self.endpoint["id"],
        ]

    async def snapshot(self) -> dict[str, Any]:
        """Everything A can read about its objects, as A sees it."""
        reads = {
            "tenant": "/api/v1/tenant",
            "me": "/api/v1/me",
            "members": "/api/v1/members",
            "invitations": "/api/v1/invitations",
            "connections": "/api/v1/connections",
            "eshop": f"/api/v1/connections/{self.eshop['id']}",
            "accounting": f"/api/v1/connections/{self.accounting['id']}",
            "links": "/api/v1/links",
            "link": f"/api/v1/links/{self.link['id']}",
            "runs": f"/api/v1/links/{self.link['id']}/runs",
            "run": f"/api/v1/runs/{self.run_id}",
            "events": f"/api/v1/runs/{self.run_id}/events",
            "audit": "/api/v1/audit?limit=200",
            "api_keys": "/api/v1/api-keys",
            "event_endpoints": "/api/v1/event-endpoints",
        }
        result: dict[str, Any] = {}
        for key, url in reads.items():
            response = await self.owner.get(url)
            assert response.status_code == 200, f"A cannot read its own {url}: {response.text}"
            result[key] = response.json()
        return result


@pytest.fixture
async def tenant_a(new_user: NewUser, test_database: DatabaseUnderTest) -> TenantA:
    owner = await new_user()
    me = await owner.signup(company="Tenant A s.r.o.")
    secret = f"a-secret-{uuid.uuid4().hex}"
    eshop = await owner.create_connection("test-eshop", credentials={"apiToken": secret})
    accounting = await owner.create_connection("test-accounting")
    link_response = await owner.post(
        "/api/v1/links",
        json={
            "name": "A's link",
            "eshopConnectionId": eshop["id"],
            "accountingConnectionId": accounting["id"],
        },
    )
    assert link_response.status_code == 201, link_response.text
    link = link_response.json()

    # A second member: invited as admin, accepted by a new client.
    member_email = f"member-{uuid.uuid4().hex[:8]}@example.cz"
    invited = await owner.post("/api/v1/invitations", json={"email": member_email, "role": "admin"})
    assert invited.status_code == 201, invited.text
    member = await new_user()
    accepted = await member.post(
        "/api/v1/invitations/accept", json={"token": invited.json()["token"], "password": PASSWORD}
    )
    assert accepted.status_code == 201, accepted.text
    member.email = member_email
    member.tenant_id = owner.tenant_id

    # An invitation still pending.
    api_key = await owner.post("/api/v1/api-keys", json={"name": "A's script", "scopes": ["runs:read"]})
    assert api_key.status_code == 201, api_key.text
    endpoint = await owner.post(
        "/api/v1/event-endpoints", json={"url": "https://a.example.cz/hooks", "events": ["run.failed"]}
    )
    assert endpoint.status_code == 201, endpoint.text

    pending = await owner.post(
        "/api/v1/invitations", json={"email": f"pending-{uuid.uuid4().hex[:8]}@example.cz", "role": "viewer"}
    )
    assert pending.status_code == 201, pending.text

    # There is no API to start runs yet: write a run and an event directly, as the worker would.
    tenant_id = uuid.UUID(owner.tenant_id)
    db = Database(test_database.owner_url)
    try:
        async with db.session(tenant_id=tenant_id) as session:
            now = utcnow()
            run = Run(
                tenant_id=tenant_id,
                link_id=uuid.UUID(link["id"]),
                flow="orders",
                trigger="manual",
                status="succeeded",
                created=1,
                started_at=now,
                finished_at=now,
            )
            session.add(run)
            await session.flush()
            event = RunEvent(
                tenant_id=tenant_id,
                run_id=run.id,
                entity="order",
                source_id="A-1001",
                target_id="A-R-1",
                label="A's order 1001",
                action="create",
                outcome="created",
            )
            session.add(event)
            await session.flush()
            run_id, event_id = str(run.id), str(event.id)
    finally:
        await db.dispose()

    return TenantA(
        owner=owner,
        member=member,
        tenant_id=owner.tenant_id,
        owner_user_id=me["user"]["id"],
        member_user_id=accepted.json()["user"]["id"],
        eshop=eshop,
        accounting=accounting,
        link=link,
        invitation=pending.json(),
        run_id=run_id,
        event_id=event_id,
        secrets=[secret, api_key.json()["key"], endpoint.json()["signingSecret"]],
        api_key=api_key.json(),
        endpoint=endpoint.json(),
    )


@pytest.fixture
async def tenant_b(new_user: NewUser) -> ApiUser:
    """An owner of another tenant, with objects of its own (so its lists are not trivially empty)."""
    owner = await new_user()
    await owner.signup(company="Tenant B a.s.")
    await owner.create_link()
    return owner


# -- walking the app's routes ------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    method: str
    template: str
    handler: HTTPRouteHandler | None
    parameters: tuple[str, ...]
    body_type: type | None

    def url(self, values: dict[str, str]) -> str:
        return PATH_PARAMETER.sub(lambda m: values[m.group("name")], self.template)


def _body_type(handler: HTTPRouteHandler) -> type | None:
    data = handler.parsed_fn_signature.parameters.get("data")
    return None if data is None else data.annotation


def id_routes(app: Litestar) -> tuple[list[Call], list[str]]:
    """Every (method, path) of a route with path parameters, and the routes this walk cannot fill."""
    calls: list[Call] = []
    unknown: list[str] = []
    for route in app.routes:
        if not route.path_parameters or route.path in PUBLIC_PARAMETRISED_ROUTES:
            continue
        names = tuple(m.group("name") for m in PATH_PARAMETER.finditer(route.path))
        if not isinstance(route, HTTPRoute):
            unknown.append(f"{type(route).__name__} {route.path}: not an HTTP route; extend this walk")
            continue
        for handler in route.route_handlers:
            for method in sorted(handler.http_methods):
                calls.append(Call(method, route.path, handler, names, _body_type(handler)))
    # Reads first and deletes last: a wrongly allowed DELETE must not hide what a read would leak.
    calls.sort(key=lambda c: (METHOD_ORDER.get(c.method, 1), c.template))
    return calls, unknown


def _value_for(annotation: Any, name: str, ids: dict[str, list[str]]) -> Any:
    """A plausible value of ``annotation`` for field ``name`` (only the shapes our inputs use)."""
    origin = get_origin(annotation)
    if origin is not None and getattr(annotation, "__metadata__", None) is not None:
        return _value_for(get_args(annotation)[0], name, ids)
    if origin is Literal:
        return get_args(annotation)[0]
    if origin in (Union, types.UnionType):
        options = [a for a in get_args(annotation) if a not in (type(None), msgspec.UnsetType)]
        return _value_for(options[0], name, ids)
    if annotation is uuid.UUID:
        return ids.get(name, [str(uuid.uuid4())])[0]
    if annotation is str:
        return f"sample {name}"
    if annotation is bool:
        return True
    if annotation is int:
        return 1
    if isinstance(annotation, type) and issubclass(annotation, msgspec.Struct):
        return generated_body(annotation, ids)
    if origin is dict or annotation is dict:
        return {}
    if origin is list or annotation is list:
        return []
    msg = f"cannot make up a value of {annotation!r} for {name!r}: add a sample to SAMPLE_BODIES"
    raise LookupError(msg)


def generated_body(body_type: type, ids: dict[str, list[str]]) -> dict[str, Any]:
    """A body with every field of ``body_type`` filled (so a PATCH would change something)."""
    hints = msgspec.structs.fields(body_type)
    return {f.encode_name: _value_for(f.type, f.name, ids) for f in hints}


def sample_body(body_type: type, ids: dict[str, list[str]]) -> dict[str, Any]:
    body = SAMPLE_BODIES.get(body_type.__name__) or generated_body(body_type, ids)
    # The body must pass validation, or the answer would be a 400 that proves nothing about isolation.
    msgspec.json.decode(json.dumps(body), type=body_type)
    return body


def _assignments(call: Call, ids: dict[str, list[str]]) -> Iterator[dict[str, str]]:
    for values in itertools.product(*(ids[name] for name in call.parameters)):
        yield dict(zip(call.parameters, values, strict=True))


async def _send(user: ApiUser, call: Call, url: str, body: dict[str, Any] | None) -> Any:
    if body is None:
        return await user.request(call.method, url)
    return await user.request(call.method, url, json=body)


def _problem_of(response: Any) -> tuple[int, str, dict[str, Any] | None]:
    content_type = response.headers.get("content-type", "").split(";")[0].strip()
    try:
        body = response.json()
    except ValueError:
        body = None
    return response.status_code, content_type, body


# -- the tests ---------------------------------------------------------------------------------


async def test_every_id_route_answers_tenant_b_404_for_tenant_a_objects(
    app: Litestar, tenant_a: TenantA, tenant_b: ApiUser
) -> None:
    calls, unknown = id_routes(app)
    # The partner API refuses every dashboard session (403) before it looks anything up; it is walked
    # as a second partner in test_every_id_route_answers_a_second_partner_404_for_the_first_ones_objects.
    calls = [call for call in calls if not call.template.startswith(PARTNER_API)]
    ids = tenant_a.ids_by_parameter
    for call in calls:
        missing = [name for name in call.parameters if name not in ids]
        if missing:
            unknown.append(f"{call.method} {call.template}: no id of tenant A for {missing}")
    assert not unknown, "routes the isolation walk cannot exercise:\n" + "\n".join(unknown)
    assert calls, "no route with path parameters found: is the app assembled?"

    before = await tenant_a.snapshot()
    failures: list[str] = []
    exercised: set[str] = set()
    for call in calls:
        if call.method == "OPTIONS":
            continue  # Litestar's automatic preflight answer; checked in its own test below
        body = sample_body(call.body_type, ids) if call.body_type is not None else None
        for values in _assignments(call, ids):
            url = call.url(values)
            random_url = call.url({name: str(uuid.uuid4()) for name in values})
            foreign = await _send(tenant_b, call, url, body)
            missing = await _send(tenant_b, call, random_url, body)
            exercised.add(f"{call.method} {call.template}")
            status, content_type, problem = _problem_of(foreign)
            label = f"{call.method} {url} as tenant B"
            if status != 404:
                failures.append(f"{label}: expected 404, got {status} {foreign.text[:300]}")
                continue
            if content_type != PROBLEM_JSON or not isinstance(problem, dict) or problem.get("status") != 404:
                failures.append(f"{label}: 404 is not problem details: {content_type} {foreign.text[:300]}")
                continue
            missing_status, missing_type, missing_problem = _problem_of(missing)
            if (missing_status, missing_type) != (status, content_type) or missing_problem != problem:
                failures.append(
                    f"{label}: B can tell a foreign id from a missing one: "
                    f"foreign -> {status} {problem}, random -> {missing_status} {missing_problem}"
                )
    assert not failures, "\n".join(failures)
    # The walk really reached the id routes it knows today (a guard against a silently empty walk).
    for expected in (
        "GET /api/v1/connections/{connection_id:uuid}",
        "DELETE /api/v1/links/{link_id:uuid}",
        "GET /api/v1/runs/{run_id:uuid}/events",
    ):
        assert expected in exercised

    after = await tenant_a.snapshot()
    for key, value in before.items():
        assert after[key] == value, f"tenant A's {key} changed after tenant B's calls"
    # And B's calls never reached A's sealed secrets (a check would have to decrypt them).
    assert after["eshop"]["lastCheck"] is None


async def test_options_preflight_does_not_tell_foreign_ids_from_missing(
    app: Litestar, tenant_a: TenantA, tenant_b: ApiUser
) -> None:
    calls, _ = id_routes(app)
    ids = tenant_a.ids_by_parameter
    # Partner routes' ids (a partner's client) are not tenant A's; their OPTIONS answer is checked below.
    for call in (c for c in calls if c.method == "OPTIONS" and not c.template.startswith(PARTNER_API)):
        for values in _assignments(call, ids):
            foreign = await tenant_b.request("OPTIONS", call.url(values))
            missing = await tenant_b.request("OPTIONS", call.url({n: str(uuid.uuid4()) for n in values}))
            assert foreign.status_code < 500
            assert (foreign.status_code, foreign.text) == (missing.status_code, missing.text)
            assert foreign.headers.get("allow") == missing.headers.get("allow")


def _get_routes_without_parameters(app: Litestar) -> list[str]:
    paths = []
    for route in app.routes:
        if route.path_parameters or route.path.startswith("/schema") or not isinstance(route, HTTPRoute):
            continue
        if any("GET" in handler.http_methods for handler in route.route_handlers):
            paths.append(route.path)
    return paths


async def test_every_list_read_by_tenant_b_is_free_of_tenant_a(
    app: Litestar, tenant_a: TenantA, tenant_b: ApiUser
) -> None:
    paths = _get_routes_without_parameters(app)
    assert "/api/v1/connections" in paths
    assert "/api/v1/audit" in paths
    leaks = []
    for path in paths:
        response = await tenant_b.get(path, params={"limit": 200} if path.startswith("/api/v1/") else None)
        if response.status_code == 400:  # a route that takes no paging parameters
            response = await tenant_b.get(path)
        assert response.status_code < 500, f"GET {path}: {response.status_code} {response.text[:300]}"
        found = [marker for marker in tenant_a.markers if marker in response.text]
        if found:
            leaks.append(f"GET {path} as tenant B shows tenant A's {found}")
    assert not leaks, "\n".join(leaks)
    # B's own lists are not empty, so the check above compared against real content.
    connections = (await tenant_b.get("/api/v1/connections")).json()
    assert connections["total"] == 2
    assert all(item["id"] not in tenant_a.markers for item in connections["items"])
    assert (await tenant_b.get("/api/v1/links")).json()["total"] == 1


async def test_b_cannot_link_a_connections_and_cannot_tell_them_from_missing(
    tenant_a: TenantA, tenant_b: ApiUser
) -> None:
    own = (await tenant_b.get("/api/v1/connections")).json()["items"]
    own_eshop = next(c["id"] for c in own if c["kind"] == "eshop")
    own_accounting = next(c["id"] for c in own if c["kind"] == "accounting")
    links_before = (await tenant_b.get("/api/v1/links")).json()
    audit_before = (await tenant_b.get("/api/v1/audit")).json()["total"]
    a_before = await tenant_a.snapshot()

    pairs = {
        "both of A": (tenant_a.eshop["id"], tenant_a.accounting["id"]),
        "A's e-shop": (tenant_a.eshop["id"], own_accounting),
        "A's accounting": (own_eshop, tenant_a.accounting["id"]),
    }
    for case, (eshop_id, accounting_id) in pairs.items():
        body = {
            "name": f"stolen {case}",
            "eshopConnectionId": eshop_id,
            "accountingConnectionId": accounting_id,
        }
        foreign = await tenant_b.post("/api/v1/links", json=body)
        assert 400 <= foreign.status_code < 500, f"{case}: {foreign.status_code} {foreign.text}"
        assert foreign.headers["content-type"].startswith(PROBLEM_JSON)
        random_body = {
            **body,
            "eshopConnectionId": str(uuid.uuid4()) if eshop_id != own_eshop else own_eshop,
            "accountingConnectionId": str(uuid.uuid4())
            if accounting_id != own_accounting
            else own_accounting,
        }
        missing = await tenant_b.post("/api/v1/links", json=random_body)
        assert (missing.status_code, missing.json()) == (foreign.status_code, foreign.json()), case
        assert tenant_a.eshop["name"] not in foreign.text
        assert tenant_a.accounting["name"] not in foreign.text

    assert (await tenant_b.get("/api/v1/links")).json() == links_before
    assert (await tenant_b.get("/api/v1/audit")).json()["total"] == audit_before
    assert await tenant_a.snapshot() == a_before


async def test_b_cannot_switch_into_a(tenant_a: TenantA, tenant_b: ApiUser) -> None:
    foreign = await tenant_b.post("/api/v1/auth/switch-tenant", json={"tenantId": tenant_a.tenant_id})
    missing = await tenant_b.post("/api/v1/auth/switch-tenant", json={"tenantId": str(uuid.uuid4())})
    assert foreign.status_code == 404
    assert (foreign.status_code, foreign.json()) == (missing.status_code, missing.json())
    me = (await tenant_b.get("/api/v1/me")).json()
    assert me["tenant"]["id"] == tenant_b.tenant_id
    assert tenant_a.tenant_id not in json.dumps(me)


# -- partners: a second partner never reaches the first one's tenants --------------------------


@pytest.fixture
async def partner_of_a(
    tenant_a: TenantA, new_partner: NewPartner, test_database: DatabaseUnderTest
) -> ApiPartner:
    """A partner that manages tenant A and has a second client (an object of its own to aim at)."""
    partner = await new_partner()
    # Tenant A signed up by itself; its partner takes over its care here (no API adopts a tenant).
    db = Database(test_database.owner_url)
    try:
        async with db.session(tenant_id=uuid.UUID(tenant_a.tenant_id)) as session:
            session.add(
                PartnerTenant(
                    tenant_id=uuid.UUID(tenant_a.tenant_id), partner_id=uuid.UUID(partner.partner_id)
                )
            )
    finally:
        await db.dispose()
    made = await partner.post("/partner/v1/clients", json={"name": "second", "scopes": ["tenants:read"]})
    assert made.status_code == 201, made.text
    partner.extra_ids = {"client_id": [made.json()["id"], partner.client_id]}
    return partner


async def _send_as_partner(
    partner: ApiPartner, call: Call, url: str, body: dict[str, Any] | None, tenant: str | None
) -> Any:
    kwargs: dict[str, Any] = {} if body is None else {"json": body}
    return await partner.request(call.method, url, tenant=tenant, **kwargs)


async def test_every_id_route_answers_a_second_partner_404_for_the_first_ones_objects(
    app: Litestar, tenant_a: TenantA, partner_of_a: ApiPartner, new_partner: NewPartner
) -> None:
    second = await new_partner()
    own = await second.create_tenant("Second partner's client")
    made = await second.post(
        "/api/v1/connections",
        tenant=own["id"],
        json={
            "connector": "test-eshop",
            "name": "second partner's shop",
            "settings": {"shopUrl": "https://shop.example.cz", "stockId": 1},
            "credentials": {"apiToken": "good-token-123"},
        },
    )
    assert made.status_code == 201, made.text
    # The first partner does reach A's objects through the same routes (the walk below is no accident).
    assert (await partner_of_a.get(f"/partner/v1/tenants/{tenant_a.tenant_id}")).status_code == 200
    control = await partner_of_a.get(f"/api/v1/connections/{tenant_a.eshop['id']}", tenant=tenant_a.tenant_id)
    assert control.status_code == 200, control.text

    calls, unknown = id_routes(app)
    ids = {**tenant_a.ids_by_parameter, **partner_of_a.extra_ids}
    for call in calls:
        missing_ids = [name for name in call.parameters if name not in ids]
        if missing_ids:
            unknown.append(f"{call.method} {call.template}: no id of the first partner for {missing_ids}")
    assert not unknown, "routes the partner walk cannot exercise:\n" + "\n".join(unknown)

    before = await tenant_a.snapshot()
    clients_before = (await partner_of_a.get("/partner/v1/clients")).json()
    failures: list[str] = []
    exercised: set[str] = set()
    for call in calls:
        if call.method == "OPTIONS":
            for values in _assignments(call, ids):
                foreign = await second.request("OPTIONS", call.url(values))
                missing = await second.request("OPTIONS", call.url({n: str(uuid.uuid4()) for n in values}))
                assert foreign.status_code < 500
                assert (foreign.status_code, foreign.text) == (missing.status_code, missing.text)
            continue
        body = sample_body(call.body_type, ids) if call.body_type is not None else None
        on_partner_api = call.template.startswith(PARTNER_API)
        # On /api/v1 the second partner names its own tenant (A's ids must not resolve there) and
        # A's tenant (which it does not manage); on /partner/v1 there is no tenant header.
        for tenant in [None] if on_partner_api else [own["id"], tenant_a.tenant_id]:
            closed = (
                not on_partner_api
                and tenant == own["id"]
                and tenant_route_scope(call.template, call.method) is None
            )
            expected = 403 if closed else 404
            for values in _assignments(call, ids):
                url = call.url(values)
                random_url = call.url({name: str(uuid.uuid4()) for name in values})
                foreign = await _send_as_partner(second, call, url, body, tenant)
                missing = await _send_as_partner(second, call, random_url, body, tenant)
                exercised.add(f"{call.method} {call.template}")
                label = f"{call.method} {url} as the second partner (Spojka-Tenant: {tenant})"
                status, content_type, problem = _problem_of(foreign)
                if status != expected or content_type != PROBLEM_JSON:
                    failures.append(f"{label}: expected {expected}, got {status} {foreign.text[:300]}")
                    continue
                if (_problem_of(missing)[0], _problem_of(missing)[2]) != (status, problem):
                    failures.append(f"{label}: a foreign id is told from a missing one: {missing.text[:300]}")
    assert not failures, "\n".join(failures)
    for expected_call in (
        "GET /partner/v1/tenants/{tenant_id:uuid}",
        "POST /partner/v1/tenants/{tenant_id:uuid}/suspend",
        "DELETE /partner/v1/clients/{client_id:uuid}",
        "GET /api/v1/runs/{run_id:uuid}/events",
        "DELETE /api/v1/links/{link_id:uuid}",
    ):
        assert expected_call in exercised
    assert await tenant_a.snapshot() == before
    assert (await partner_of_a.get("/partner/v1/clients")).json() == clients_before

    # Lists the second partner reads are free of A's data.
    leaks = []
    for path in _get_routes_without_parameters(app):
        tenant = None if path.startswith(PARTNER_API) else own["id"]
        response = await second.get(path, tenant=tenant)
        assert response.status_code < 500, f"GET {path}: {response.status_code} {response.text[:300]}"
        found = [
            marker
            for marker in [*tenant_a.markers, partner_of_a.extra_ids["client_id"][0]]
            if marker in response.text
        ]
        if found:
            leaks.append(f"GET {path} as the second partner shows the first one's {found}")
    assert not leaks, "\n".join(leaks)
    assert [t["id"] for t in (await second.get("/partner/v1/tenants")).json()["items"]] == [own["id"]]
