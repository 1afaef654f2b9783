"""Property-based run of schemathesis against our own OpenAPI document, signed in as a tenant owner.

Every operation gets generated requests (valid and invalid); every answer must be no 5xx and must fit
the document: status code, content type, headers and body schema, plus schemathesis' other default checks
(auth really enforced, invalid data refused, ...).

How the pieces fit, and why:

* ``@schema.parametrize()`` needs the schema at import time, before the test database exists, and
  ``schemathesis.pytest.from_fixture`` is broken on pytest 9 (it reads ``Function._nodeid``). So the
  document comes from an app built with placeholder settings (``openapi.from_dict``), and the requests go
  to the real app, bound to the test database, through ``_DeferredApp``, which the ``signed_in`` fixture
  plugs in. ``test_openapi_document_is_served`` checks that ``GET /schema/openapi.json`` serves exactly
  this document, so fuzzing it is fuzzing what clients download.
* The document is fuzzed as served: every operation must declare the problems it answers with (as
  ``application/problem+json``), public operations must declare ``security: []``, and request bodies
  ``additionalProperties: false``. The tests at the end of this file check those three directly, so a
  gap shows up as one readable failure rather than as a fuzz case.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from litestar import Litestar
from schemathesis.config import SchemathesisConfig
from schemathesis.python import asgi as schemathesis_asgi

from spojka.app import AppOptions, create_app
from tests.conftest import DatabaseUnderTest
from tests.integration.conftest import build_registry, make_settings
from tests.support.api import ACCOUNTING_SETTINGS, ESHOP_SETTINGS, PASSWORD

#: Hypothesis examples per operation (plus schemathesis' explicit and coverage cases): keeps the whole
#: file around a minute on two cores. Raise it locally for a deeper run.
MAX_EXAMPLES = 25
PROBLEM_JSON = "application/problem+json"


def _placeholder_app() -> Litestar:
    placeholder = DatabaseUnderTest("sqlite+aiosqlite://", "sqlite+aiosqlite://")
    return create_app(make_settings(placeholder, Path("var-unused")), AppOptions(registry=build_registry()))


def _operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if isinstance(operation, dict) and "responses" in operation:
                yield path, method, operation


def _public_operation_ids(app: Litestar) -> set[str]:
    """Operations that need no session (the auth middleware skips them)."""
    public = set()
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            if handler.opt.get("exclude_from_auth") and isinstance(handler.operation_id, str):
                public.add(handler.operation_id)
    return public


def _expected_errors(path: str, method: str, operation: dict[str, Any], public: bool) -> set[str]:
    """Error statuses an operation can answer with, whatever the input."""
    expected = set()
    if not public:
        expected |= {"401"}
        if method.upper() not in {"GET", "HEAD"}:
            expected |= {"403"}  # CSRF token missing, or the role is not enough
    if "{" in path:
        expected.add("404")
    if operation.get("parameters") or operation.get("requestBody"):
        expected.add("400")
    return expected


def _input_schemas(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every object schema a request body can contain (following $refs), with where it was found."""
    seen: set[int] = set()

    def walk(node: Any, where: str) -> Iterator[tuple[str, dict[str, Any]]]:
        if isinstance(node, list):
            for item in node:
                yield from walk(item, where)
            return
        if not isinstance(node, dict) or id(node) in seen:
            return
        seen.add(id(node))
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            name = ref.rsplit("/", 1)[1]
            yield from walk(document["components"]["schemas"][name], name)
            return
        if node.get("type") == "object" and "properties" in node:
            yield where, node
        for key, value in node.items():
            if key != "additionalProperties" or isinstance(value, dict):
                yield from walk(value, where)

    for path, method, operation in _operations(document):
        for media in operation.get("requestBody", {}).get("content", {}).values():
            yield from walk(media.get("schema"), f"{method.upper()} {path}")


class _DeferredApp:
    """The ASGI app schemathesis calls; the fixture plugs in the real one (bound to the test database)."""

    target: Litestar | None = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        assert self.target is not None, "the signed_in fixture plugs the app in"
        await self.target(scope, receive, send)


_PLACEHOLDER = _placeholder_app()
DOCUMENT: dict[str, Any] = _PLACEHOLDER.openapi_schema.to_schema()
PUBLIC_IDS = _public_operation_ids(_PLACEHOLDER)
APP = _DeferredApp()
CONFIG = SchemathesisConfig.from_dict(
    {
        # Unknown query parameters are ignored (bodies refuse unknown fields, queries do not): a leniency,
        # not a contract, so schemathesis is told not to send them and expect a 400.
        "generation": {"allow-extra-parameters": False},
        "checks": {
            # Rules the document cannot state (password strength, each connector's own JSON Schema,
            # references to other objects) are answered 422 to input that fits the document.
            "positive_data_acceptance": {"expected-statuses": ["2xx", "3xx", 401, 403, 404, 409, 422, 429]},
        },
    }
)
# /api/v1/auth/logout is left out: it would end the very session every other case is signed in with.
schema = schemathesis.openapi.from_dict(DOCUMENT, config=CONFIG).exclude(path="/api/v1/auth/logout")
schema.app = APP


@dataclass
class SignedIn:
    """The owner's session, and ids of real objects for the generator to aim at."""

    cookies: dict[str, str] = field(default_factory=dict)
    csrf: str = ""
    ids: dict[str, list[str]] = field(default_factory=dict)


SESSION = SignedIn()


@schema.auth()
class OwnerSession:
    """Every case goes out signed in as the owner, with the CSRF header, the way the dashboard sends it."""

    def get(self, case: Any, ctx: Any) -> SignedIn:
        return SESSION

    def set(self, case: Any, data: SignedIn, ctx: Any) -> None:
        case.cookies = {**(case.cookies or {}), **data.cookies}
        case.headers = {**(case.headers or {}), "x-csrftoken": data.csrf}


def _is_uuid(value: object) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


@schema.hook
def flatmap_path_parameters(ctx: Any, path_parameters: dict[str, Any]) -> Any:
    """Aim some reads and changes at the tenant's real objects, not only at random (missing) ids.

    DELETE keeps random ids: deleting the fixture's objects would leave nothing for later operations.
    """
    if not path_parameters or ctx.operation.method.upper() == "DELETE":
        return st.just(path_parameters)
    choices = [st.just(path_parameters)]
    for name, value in path_parameters.items():
        if SESSION.ids.get(name) and _is_uuid(value):  # a deliberately invalid id stays invalid
            choices.append(
                st.sampled_from(SESSION.ids[name]).map(lambda v, n=name: {**path_parameters, n: v})
            )
    return st.one_of(choices)


@pytest.fixture(scope="module")
def signed_in(
    test_database: DatabaseUnderTest, redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SignedIn]:
    application = create_app(
        make_settings(test_database, tmp_path_factory.mktemp("fuzz-var")),
        AppOptions(registry=build_registry(), redis_url=redis_url),
    )
    assert application.openapi_schema.to_schema() == DOCUMENT
    APP.target = application
    # The requests run on schemathesis' own event loop thread, which also runs this app's lifespan.
    with schemathesis_asgi.get_client(APP) as client:
        client.get("/api/v1/auth/password-rules")
        csrf = {"x-csrftoken": client.cookies["csrftoken"]}
        email = f"fuzz-{uuid.uuid4().hex[:8]}@example.cz"
        me = client.post(
            "/api/v1/auth/signup",
            json={"email": email, "password": PASSWORD, "companyName": "Fuzz s.r.o."},
            headers=csrf,
        )
        assert me.status_code == 201, me.text
        made = {}
        for connector, body in (
            ("test-eshop", {"settings": ESHOP_SETTINGS, "credentials": {"apiToken": "good-token-123"}}),
            (
                "test-accounting",
                {"settings": ACCOUNTING_SETTINGS, "credentials": {"username": "u", "password": "p"}},
            ),
        ):
            response = client.post(
                "/api/v1/connections", json={"connector": connector, "name": connector, **body}, headers=csrf
            )
            assert response.status_code == 201, response.text
            made[connector] = response.json()["id"]
        link = client.post(
            "/api/v1/links",
            json={
                "name": "fuzz link",
                "eshopConnectionId": made["test-eshop"],
                "accountingConnectionId": made["test-accounting"],
            },
            headers=csrf,
        )
        assert link.status_code == 201, link.text
        invitation = client.post(
            "/api/v1/invitations", json={"email": "invited@example.cz", "role": "viewer"}, headers=csrf
        )
        assert invitation.status_code == 201, invitation.text
        SESSION.cookies = {
            "spojka_session": client.cookies["spojka_session"],
            "csrftoken": client.cookies["csrftoken"],
        }
        SESSION.csrf = csrf["x-csrftoken"]
        SESSION.ids = {
            "connection_id": list(made.values()),
            "link_id": [link.json()["id"]],
            "user_id": [me.json()["user"]["id"]],
            "invitation_id": [invitation.json()["id"]],
        }
    yield SESSION
    schemathesis_asgi.shutdown_lifespans()
    APP.target = None


FUZZ_SETTINGS = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


@schema.parametrize()
@FUZZ_SETTINGS
def test_api_conforms_to_its_openapi(case: Any, signed_in: SignedIn) -> None:
    case.call_and_validate()


# -- the document itself --------------------------------------------------------------------------


def test_openapi_document_is_served(signed_in: SignedIn) -> None:
    with schemathesis_asgi.get_client(APP) as client:
        response = client.get("/schema/openapi.json")
    assert response.status_code == 200, response.text
    assert response.json() == DOCUMENT


def test_public_operations_declare_no_security() -> None:
    claim_a_session = [
        f"{method.upper()} {path}"
        for path, method, operation in _operations(DOCUMENT)
        if operation.get("operationId") in PUBLIC_IDS and operation.get("security") != []
    ]
    assert not claim_a_session, f"public operations that claim to need a session: {claim_a_session}"


def test_error_answers_are_documented() -> None:
    gaps = []
    for path, method, operation in _operations(DOCUMENT):
        public = operation.get("operationId") in PUBLIC_IDS
        responses = operation["responses"]
        missing = _expected_errors(path, method, operation, public) - set(responses)
        if missing and "4XX" not in responses:
            gaps.append(f"{method.upper()} {path}: {sorted(missing)} undocumented")
        for code, response in responses.items():
            if code.startswith("4") and PROBLEM_JSON not in response.get("content", {}):
                gaps.append(f"{method.upper()} {path}: {code} is not documented as {PROBLEM_JSON}")
    assert not gaps, "\n".join(gaps)


def test_request_bodies_declare_that_unknown_fields_are_refused() -> None:
    open_objects = sorted(
        {where for where, node in _input_schemas(DOCUMENT) if node.get("additionalProperties") is not False}
    )
    assert not open_objects, f"input objects that do not declare additionalProperties: false: {open_objects}"
