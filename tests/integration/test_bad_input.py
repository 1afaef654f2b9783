"""Bad input through the API: every refusal is a 4xx problem details answer that says what is wrong,
never a 500, and nothing is written.

Each case runs twice: once for "refused with the right status, as problem details, nothing written", and
once for "the ``detail`` says what is wrong". They are separate so that a vague ``detail`` (should one be
marked xfail as a known bug) can never hide a case that writes something it should not.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import msgspec
import pytest
from litestar import Litestar
from litestar.routes import HTTPRoute
from sqlalchemy import func, select

from spojka.db import Database
from spojka.models import metadata
from tests.conftest import DatabaseUnderTest
from tests.support.api import ACCOUNTING_SETTINGS, ESHOP_SETTINGS, PASSWORD, ApiUser

NewUser = Callable[[], Awaitable[ApiUser]]

PROBLEM_JSON = "application/problem+json"
MAX_BODY = 1_048_576
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass
class Shop:
    """A tenant with something to break: an owner, a viewer, connections and a link."""

    owner: ApiUser
    viewer: ApiUser
    stranger: ApiUser
    owner_user_id: str
    viewer_user_id: str
    eshop: dict[str, Any]
    eshop2: dict[str, Any]
    accounting: dict[str, Any]
    link: dict[str, Any]
    invitation_id: str
    extra: dict[str, Any] = field(default_factory=dict)


@pytest.fixture
async def shop(new_user: NewUser) -> Shop:
    owner = await new_user()
    me = await owner.signup(company="Bad Input s.r.o.")
    eshop = await owner.create_connection("test-eshop")
    eshop2 = await owner.create_connection("test-eshop")
    accounting = await owner.create_connection("test-accounting")
    link = await owner.post(
        "/api/v1/links",
        json={
            "name": "the link",
            "eshopConnectionId": eshop["id"],
            "accountingConnectionId": accounting["id"],
        },
    )
    assert link.status_code == 201, link.text

    viewer_email = f"viewer-{uuid.uuid4().hex[:8]}@example.cz"
    invited = await owner.post("/api/v1/invitations", json={"email": viewer_email, "role": "viewer"})
    assert invited.status_code == 201, invited.text
    viewer = await new_user()
    accepted = await viewer.post(
        "/api/v1/invitations/accept", json={"token": invited.json()["token"], "password": PASSWORD}
    )
    assert accepted.status_code == 201, accepted.text
    assert accepted.json()["tenant"]["role"] == "viewer"
    viewer.email, viewer.tenant_id = viewer_email, owner.tenant_id

    pending = await owner.post("/api/v1/invitations", json={"email": "later@example.cz", "role": "admin"})
    assert pending.status_code == 201, pending.text
    return Shop(
        owner=owner,
        viewer=viewer,
        stranger=await new_user(),
        owner_user_id=me["user"]["id"],
        viewer_user_id=accepted.json()["user"]["id"],
        eshop=eshop,
        eshop2=eshop2,
        accounting=accounting,
        link=link.json(),
        invitation_id=pending.json()["id"],
    )


async def _table_counts(db_url: str) -> dict[str, int]:
    db = Database(db_url)
    try:
        async with db.session() as session:
            return {
                table.name: await session.scalar(select(func.count()).select_from(table)) or 0
                for table in metadata.sorted_tables
            }
    finally:
        await db.dispose()


async def _state(shop: Shop, test_database: DatabaseUnderTest) -> dict[str, Any]:
    """Every row count, and everything the owner can read: a write of any kind changes this."""
    reads = {}
    for url in (
        "/api/v1/tenant",
        "/api/v1/members",
        "/api/v1/invitations",
        "/api/v1/connections",
        "/api/v1/links",
        "/api/v1/audit?limit=200",
    ):
        response = await shop.owner.get(url)
        assert response.status_code == 200, response.text
        reads[url] = response.json()
    return {"rows": await _table_counts(test_database.owner_url), "reads": reads}


async def _raw_json(
    user: ApiUser, method: str, url: str, content: bytes, *, csrf: bool = True
) -> httpx.Response:
    headers = {"content-type": "application/json"}
    if csrf:
        return await user.request(method, url, content=content, headers=headers)
    return await user.client.request(method, url, content=content, headers=headers)


def _new_connection(**overrides: Any) -> dict[str, Any]:
    return {
        "connector": "test-eshop",
        "name": f"new {uuid.uuid4().hex[:6]}",
        "settings": ESHOP_SETTINGS,
        "credentials": {"apiToken": "good-token-123"},
        **overrides,
    }


@dataclass(frozen=True)
class BadCase:
    id: str
    send: Callable[[Shop], Awaitable[httpx.Response]]
    status: int
    #: Words the ``detail`` must contain (case-insensitive) for the answer to say what is wrong.
    says: tuple[str, ...]
    #: A JSON pointer the ``errors`` list must name, where the API gives one.
    error_path: str | None = None


async def _unknown_session(shop: Shop) -> httpx.Response:
    shop.stranger.client.cookies.set("spojka_session", "made-up-or-long-expired-token")
    return await shop.stranger.post("/api/v1/connections", json=_new_connection())


async def _no_csrf_header(shop: Shop) -> httpx.Response:
    await shop.owner._csrf()  # the cookie is there; only the header is missing
    return await shop.owner.client.post("/api/v1/connections", json=_new_connection())


async def _partial_patch(shop: Shop) -> httpx.Response:
    # A valid rename together with invalid credentials: all or nothing, the name must not change.
    return await shop.owner.patch(
        f"/api/v1/connections/{shop.eshop['id']}",
        json={"name": "renamed half-way", "credentials": {"apiToken": "good-token-123", "colour": "red"}},
    )


CASES = [
    BadCase(
        "malformed-json",
        lambda s: _raw_json(
            s.owner, "POST", "/api/v1/connections", b'{"connector": test-eshop, "name": "x"}'
        ),
        400,
        ("json",),
    ),
    BadCase(
        "not-an-object",
        lambda s: _raw_json(s.owner, "POST", "/api/v1/connections", b'["test-eshop"]'),
        400,
        ("object",),
    ),
    BadCase(
        "empty-body",
        lambda s: _raw_json(s.owner, "POST", "/api/v1/connections", b""),
        400,
        ("body",),
    ),
    BadCase(
        "wrong-type",
        lambda s: s.owner.post("/api/v1/connections", json=_new_connection(connector=5)),
        400,
        ("connector",),
    ),
    BadCase(
        "wrong-type-nested",
        lambda s: s.owner.patch(
            f"/api/v1/links/{s.link['id']}", json={"flows": {"orders": {"everyMinutes": "often"}}}
        ),
        400,
        ("everyminutes",),
    ),
    BadCase(
        "out-of-range",
        lambda s: s.owner.patch(
            f"/api/v1/links/{s.link['id']}", json={"flows": {"stock": {"everyMinutes": 0}}}
        ),
        400,
        ("everyminutes",),
    ),
    BadCase(
        "unknown-time-zone",
        lambda s: s.owner.patch(
            f"/api/v1/links/{s.link['id']}", json={"flows": {"products": {"timeZone": "Mars/Olympus"}}}
        ),
        400,
        ("time zone", "mars/olympus"),
    ),
    BadCase(
        "blank-name",
        lambda s: s.owner.patch("/api/v1/tenant", json={"name": "   "}),
        400,
        ("name",),
    ),
    BadCase(
        "unknown-field",
        lambda s: s.owner.post("/api/v1/connections", json=_new_connection(colour="red")),
        400,
        ("colour",),
    ),
    BadCase(
        "missing-required-field",
        lambda s: s.owner.post("/api/v1/connections", json={"name": "no connector"}),
        400,
        ("connector",),
    ),
    BadCase(
        "bad-query-parameter",
        lambda s: s.owner.get("/api/v1/connections", params={"limit": "lots"}),
        400,
        ("limit",),
    ),
    BadCase(
        "oversize-body",
        lambda s: _raw_json(
            s.owner,
            "POST",
            "/api/v1/connections",
            json.dumps(_new_connection(settings={"shopUrl": "https://x.cz/" + "x" * MAX_BODY})).encode(),
        ),
        413,
        ("large",),
    ),
    BadCase(
        "unknown-connector",
        lambda s: s.owner.post("/api/v1/connections", json=_new_connection(connector="no-such-system")),
        422,
        ("no-such-system",),
    ),
    BadCase(
        "settings-against-schema",
        lambda s: s.owner.post(
            "/api/v1/connections",
            json=_new_connection(settings={"shopUrl": "ftp://shop.example.cz", "stockId": 0}),
        ),
        422,
        ("settings",),
        error_path="/settings/stockId",
    ),
    BadCase(
        "settings-unknown-key",
        lambda s: s.owner.patch(
            f"/api/v1/connections/{s.accounting['id']}",
            json={"settings": {**ACCOUNTING_SETTINGS, "colour": "red"}},
        ),
        422,
        ("settings",),
        error_path="/settings",
    ),
    BadCase(
        "credentials-unknown-field",
        lambda s: s.owner.post(
            "/api/v1/connections",
            json=_new_connection(credentials={"apiToken": "good-token-123", "colour": "red"}),
        ),
        422,
        ("credentials",),
        error_path="/credentials/colour",
    ),
    BadCase(
        "credentials-missing",
        lambda s: s.owner.post("/api/v1/connections", json=_new_connection(credentials={})),
        422,
        ("credentials",),
        error_path="/credentials/apiToken",
    ),
    BadCase(
        "patch-is-all-or-nothing", _partial_patch, 422, ("credentials",), error_path="/credentials/colour"
    ),
    BadCase(
        "link-of-two-eshops",
        lambda s: s.owner.post(
            "/api/v1/links",
            json={
                "name": "two shops",
                "eshopConnectionId": s.eshop["id"],
                "accountingConnectionId": s.eshop2["id"],
            },
        ),
        422,
        ("accountingConnectionId", "accounting"),
        error_path="/accountingConnectionId",
    ),
    BadCase(
        "link-of-a-missing-connection",
        lambda s: s.owner.post(
            "/api/v1/links",
            json={
                "name": "ghost",
                "eshopConnectionId": s.eshop["id"],
                "accountingConnectionId": str(uuid.uuid4()),
            },
        ),
        422,
        ("accountingConnectionId",),
        error_path="/accountingConnectionId",
    ),
    BadCase(
        "duplicate-connection-name",
        lambda s: s.owner.post("/api/v1/connections", json=_new_connection(name=s.eshop["name"])),
        409,
        ("already exists",),
    ),
    BadCase(
        "delete-connection-in-use",
        lambda s: s.owner.delete(f"/api/v1/connections/{s.eshop['id']}"),
        409,
        ("link",),
    ),
    BadCase(
        "last-owner-demotes-self",
        lambda s: s.owner.patch(f"/api/v1/members/{s.owner_user_id}", json={"role": "viewer"}),
        409,
        ("owner",),
    ),
    BadCase(
        "invalid-email",
        lambda s: s.owner.post("/api/v1/invitations", json={"email": "not-an-address", "role": "viewer"}),
        422,
        ("e-mail",),
    ),
    BadCase(
        "invitation-token-unknown",
        lambda s: s.stranger.post(
            "/api/v1/invitations/accept", json={"token": f"{uuid.uuid4()}.made-up", "password": PASSWORD}
        ),
        404,
        ("invitation",),
    ),
    BadCase("unknown-session-cookie", _unknown_session, 401, ("session",)),
    BadCase("no-session-cookie", lambda s: s.stranger.get("/api/v1/connections"), 401, ("sign in",)),
    BadCase("missing-csrf-header", _no_csrf_header, 403, ("csrf",)),
    BadCase(
        "viewer-creates-connection",
        lambda s: s.viewer.post("/api/v1/connections", json=_new_connection()),
        403,
        ("role",),
    ),
]


def _assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, (
        f"expected {status}, got {response.status_code}: {response.text[:500]}"
    )
    assert response.headers["content-type"].split(";")[0] == PROBLEM_JSON, response.headers["content-type"]
    problem: dict[str, Any] = response.json()
    assert problem["status"] == status
    assert problem.get("title")
    assert problem.get("detail")
    return problem


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
async def test_refused_as_problem_details_and_nothing_written(
    case: BadCase, shop: Shop, test_database: DatabaseUnderTest
) -> None:
    before = await _state(shop, test_database)
    response = await case.send(shop)
    _assert_problem(response, case.status)
    assert await _state(shop, test_database) == before


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
async def test_detail_says_what_is_wrong(case: BadCase, shop: Shop) -> None:
    problem = _assert_problem(await case.send(shop), case.status)
    detail = problem["detail"].lower()
    missing = [word for word in case.says if word.lower() not in detail]
    assert not missing, f"detail {problem['detail']!r} does not mention {missing} (whole answer: {problem})"
    if case.error_path is not None:
        paths = [e["path"] for e in problem.get("errors", [])]
        assert case.error_path in paths, f"errors {problem.get('errors')} do not name {case.error_path}"
    # Secrets are never echoed, even in an error about them.
    assert "good-token-123" not in json.dumps(problem)


# -- a viewer may read everything and change nothing -------------------------------------------

VIEWER_BODIES: dict[str, dict[str, Any]] = {
    "ConnectionIn": _new_connection(),
    "ConnectionPatch": {"name": "changed by a viewer"},
    "LinkIn": {
        "name": "viewer's link",
        "eshopConnectionId": "{eshop}",
        "accountingConnectionId": "{accounting}",
    },
    "LinkPatch": {"paused": True},
    "InvitationIn": {"email": "friend-of-viewer@example.cz", "role": "viewer"},
    "MemberUpdateIn": {"role": "owner"},
    "TenantPatch": {"name": "Renamed by a viewer"},
    "RunRequest": {"flow": "orders"},
    "ApiKeyIn": {"name": "viewer's key", "scopes": ["runs:read"]},
    "EventEndpointIn": {"url": "https://viewer.example.cz/hooks", "events": ["run.failed"]},
}


def _viewer_ids(shop: Shop) -> dict[str, str]:
    return {
        "connection_id": shop.eshop["id"],
        "link_id": shop.link["id"],
        "invitation_id": shop.invitation_id,
        "user_id": shop.viewer_user_id,
        "eshop": shop.eshop["id"],
        "accounting": shop.accounting["id"],
        # Refused for the role before any lookup, so any id will do.
        "api_key_id": str(uuid.uuid4()),
        "endpoint_id": str(uuid.uuid4()),
    }


def _fill(value: Any, ids: dict[str, str]) -> Any:
    if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
        return ids[value[1:-1]]
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    return value


async def test_a_viewer_cannot_change_anything(
    app: Litestar, shop: Shop, test_database: DatabaseUnderTest
) -> None:
    """Every unsafe route that needs more than the viewer role answers a viewer 403, and writes nothing."""
    ids = _viewer_ids(shop)
    assert (await shop.viewer.get("/api/v1/connections")).json()["total"] == 3  # reading is allowed
    before = await _state(shop, test_database)
    tried, failures = [], []
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            methods = handler.http_methods & UNSAFE
            if not methods or handler.opt.get("exclude_from_auth") or handler.opt.get("min_role") == "viewer":
                continue
            url = route.path
            for name, definition in route.path_parameters.items():
                if name not in ids:
                    failures.append(f"{route.path}: no id for {name}; extend _viewer_ids")
                    continue
                url = url.replace("{" + definition.full + "}", ids[name])
            data = handler.parsed_fn_signature.parameters.get("data")
            body = None
            if data is not None:
                type_name = data.annotation.__name__
                if type_name not in VIEWER_BODIES:
                    failures.append(f"{route.path}: no sample body for {type_name}; extend VIEWER_BODIES")
                    continue
                body = _fill(VIEWER_BODIES[type_name], ids)
                msgspec.json.decode(json.dumps(body), type=data.annotation)  # a valid body, not a 400
            for method in sorted(methods):
                response = await shop.viewer.request(
                    method, url, **({"json": body} if body is not None else {})
                )
                tried.append(f"{method} {route.path}")
                if response.status_code != 403:
                    failures.append(f"{method} {url} as viewer: {response.status_code} {response.text[:300]}")
                    continue
                problem = response.json()
                if (
                    "role" not in problem.get("detail", "")
                    or response.headers["content-type"] != PROBLEM_JSON
                ):
                    failures.append(f"{method} {url} as viewer: 403 without a clear problem: {response.text}")
    assert not failures, "\n".join(failures)
    assert "DELETE /api/v1/links/{link_id:uuid}" in tried
    assert "PATCH /api/v1/tenant" in tried
    assert "POST /api/v1/connections/{connection_id:uuid}/check" in tried
    assert await _state(shop, test_database) == before


def _options_targets(app: Litestar) -> list[tuple[str, set[str]]]:
    """Every route's path (ids filled with random UUIDs) and the methods its handlers serve."""
    targets = []
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        path = route.path
        for definition in route.path_parameters.values():
            value = str(uuid.uuid4()) if definition.type is uuid.UUID else "x"
            path = path.replace("{" + definition.full + "}", value)
        methods = set().union(*(handler.http_methods for handler in route.route_handlers))
        targets.append((path, methods))
    return targets


async def test_options_request_is_not_a_server_error(app: Litestar, shop: Shop) -> None:
    for path, _ in _options_targets(app):
        for user in (shop.stranger, shop.owner):
            response = await user.request("OPTIONS", path)
            assert response.status_code < 500, f"OPTIONS {path}: {response.status_code} {response.text[:300]}"


async def test_options_allow_header_lists_every_method(app: Litestar, shop: Shop) -> None:
    wrong = []
    for path, methods in _options_targets(app):
        response = await shop.owner.request("OPTIONS", path)
        allowed = {m.strip() for m in response.headers.get("allow", "").split(",") if m.strip()}
        if allowed != methods:
            wrong.append(f"OPTIONS {path}: Allow {sorted(allowed)}, serves {sorted(methods)}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("name", ["", "x" * 101, "colour"], ids=["empty", "too-long", "unknown"])
async def test_clearing_a_credential_that_cannot_exist_is_refused(
    name: str, shop: Shop, test_database: DatabaseUnderTest
) -> None:
    before = await _state(shop, test_database)
    response = await shop.owner.patch(
        f"/api/v1/connections/{shop.eshop['id']}", json={"credentials": {name: None}}
    )
    problem = _assert_problem(response, 422)
    assert "credentials" in problem["detail"].lower()
    assert await _state(shop, test_database) == before
