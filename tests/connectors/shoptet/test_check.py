"""The Shoptet connector's self-description and connection check, against its simulator over real HTTP.

(Moved from tests/connectors/test_shoptet_check.py; answers the SDK client retries are now told from
its RetriableError, so a 503's remote text no longer reaches the message.)"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from importlib.metadata import EntryPoint
from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator

from spojka.connector import Connector, secret_fields
from spojka.connector.registry import Registry
from spojka_connectors.shoptet import SPEC, connector
from spojka_connectors.shoptet.client import scrub
from spojka_connectors.shoptet.simulator import DEFAULT_TOKEN, SimStock, State, build_app
from tests.conftest import REFERENCE_DIR
from tests.support.servers import refused_port, serving

REFERENCE = REFERENCE_DIR
OPENAPI = REFERENCE / "eshop" / "shoptet" / "openapi.yaml"


@pytest.fixture(scope="module")
def shop_state() -> State:
    return State()


@pytest.fixture(scope="module")
def base_url(shop_state: State) -> Iterator[str]:
    with serving(build_app(shop_state)) as url:
        yield url


@pytest.fixture
def shop(shop_state: State, base_url: str) -> State:
    """The simulated e-shop, back to its defaults for each test."""
    fresh = State()
    for f in dataclasses.fields(State):
        setattr(shop_state, f.name, getattr(fresh, f.name))
    return shop_state


@pytest.fixture
def closed_port() -> Iterator[int]:
    with refused_port() as port:
        yield port


def canned(status: int, body: bytes, content_type: str = "application/json", **headers: str) -> Any:
    """A tiny ASGI server that answers every request the same way: a remote in a given mood."""
    raw_headers = [(b"content-type", content_type.encode())]
    raw_headers += [(k.replace("_", "-").encode(), v.encode()) for k, v in headers.items()]

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        await send({"type": "http.response.start", "status": status, "headers": raw_headers})
        await send({"type": "http.response.body", "body": body})

    return app


def envelope_error(code: str, message: str) -> bytes:
    errors = [{"errorCode": code, "message": message, "instance": "unknown"}]
    return json.dumps({"data": None, "errors": errors, "metadata": {"requestId": "r-1"}}).encode()


def assert_no_token(text: str, token: str = DEFAULT_TOKEN) -> None:
    assert token not in text
    assert f"{token[:3]}..{token[-3:]}" not in text


# --- the self-description -------------------------------------------------------------------------


def test_entry_point_line_loads_the_connector() -> None:
    """The line the lead adds under [project.entry-points."spojka.connectors"] in pyproject.toml."""
    entry_point = EntryPoint(
        name="shoptet", value="spojka_connectors.shoptet:connector", group="spojka.connectors"
    )
    assert entry_point.load() is connector
    assert connector.spec.key == entry_point.name


def test_connector_object_is_what_the_registry_loads() -> None:
    assert isinstance(connector, Connector)
    registry = Registry()
    registry.register(connector)
    entry = registry.get("shoptet")
    assert entry is not None
    assert entry.available
    assert SPEC.key == "shoptet"
    assert SPEC.kind == "eshop"
    assert SPEC.auth_mode == "api_token"
    assert set(SPEC.capabilities) == {
        "orders.read",
        "orders.webhook",
        "orders.fulfil",
        "products.read",
        "stock.write",
        "prices.write",
        "options.read",
    }
    assert secret_fields(SPEC) == ("apiToken", "oauthToken")
    assert SPEC.rate_limits.max_concurrency == 3
    assert SPEC.rate_limits.bucket_size == 200
    assert SPEC.rate_limits.leak_per_second == 10.0


def test_schemas_are_valid_json_schema() -> None:
    Draft202012Validator.check_schema(SPEC.settings_schema)
    Draft202012Validator.check_schema(SPEC.credentials_schema)
    for schema in (SPEC.settings_schema, SPEC.credentials_schema):
        assert schema["additionalProperties"] is False
        for prop in schema["properties"].values():
            assert prop["title"]
            assert prop["description"]


@pytest.mark.parametrize(
    "settings",
    [
        {},
        {"apiUrl": "https://api.myshoptet.com", "stockId": 1},
        {"apiUrl": "http://127.0.0.1:8765", "stockId": 3},
        {"apiUrl": "https://sim.example.test/shoptet"},
    ],
)
def test_sensible_settings_validate(settings: dict[str, Any]) -> None:
    Draft202012Validator(SPEC.settings_schema).validate(settings)


@pytest.mark.parametrize(
    "settings",
    [
        {"apiUrl": "ftp://api.myshoptet.com"},
        {"apiUrl": "api.myshoptet.com"},
        {"apiUrl": "https://api.myshoptet.com/?x=1"},
        {"stockId": 0},
        {"stockId": "1"},
        {"shopUrl": "https://example.cz"},
    ],
)
def test_wrong_settings_do_not_validate(settings: dict[str, Any]) -> None:
    assert not Draft202012Validator(SPEC.settings_schema).is_valid(settings)


def test_credentials_schema() -> None:
    validator = Draft202012Validator(SPEC.credentials_schema)
    assert validator.is_valid({"apiToken": DEFAULT_TOKEN})
    assert not validator.is_valid({})
    assert not validator.is_valid({"apiToken": ""})
    assert not validator.is_valid({"apiToken": "with space"})
    assert validator.is_valid({"oauthToken": "permanent-oauth-token"})
    assert not validator.is_valid({"apiToken": DEFAULT_TOKEN, "oauthToken": "both-at-once"})


# --- the check ------------------------------------------------------------------------------------


async def test_good_token_names_the_shop(shop: State, base_url: str) -> None:
    result = await connector.check({"apiUrl": base_url, "stockId": 1}, {"apiToken": shop.token})
    assert result.ok, result.message
    assert shop.eshop_name in result.message
    assert shop.url in result.message
    assert "Hlavní sklad" in result.message
    assert result.details["eshopId"] == shop.eshop_id
    assert result.details["rights"] == dict.fromkeys(
        ("orders", "products", "stocks", "pricelists", "webhooks"), "read"
    )
    assert_no_token(result.message)
    assert_no_token(json.dumps(result.details))


async def test_trailing_slash_and_default_stock(shop: State, base_url: str) -> None:
    result = await connector.check({"apiUrl": base_url + "/"}, {"apiToken": shop.token})
    assert result.ok, result.message
    assert result.details["stockId"] == 1


async def test_bad_token_is_invalid_or_expired(shop: State, base_url: str) -> None:
    wrong = "123456-p-100-wrongwrongwrongwrongwrongwrong"
    result = await connector.check({"apiUrl": base_url}, {"apiToken": wrong})
    assert not result.ok
    assert "invalid or has expired" in result.message
    assert result.details["status"] == 401
    assert_no_token(result.message, wrong)
    assert_no_token(json.dumps(result.details), wrong)


async def test_missing_rights_are_listed(shop: State, base_url: str) -> None:
    shop.rights -= {"orders", "pricelists"}
    result = await connector.check({"apiUrl": base_url}, {"apiToken": shop.token})
    assert not result.ok
    assert "lacks the rights for orders and price lists" in result.message
    assert "Access to API" in result.message
    assert result.details["rights"]["orders"] == "missing"
    assert result.details["rights"]["pricelists"] == "missing"
    assert result.details["rights"]["products"] == "read"
    assert_no_token(result.message)


async def test_without_webhooks_right_orders_are_polled(shop: State, base_url: str) -> None:
    shop.rights.discard("webhooks")
    result = await connector.check({"apiUrl": base_url}, {"apiToken": shop.token})
    assert result.ok, result.message
    assert "webhooks" in result.message
    assert "poll" in result.message
    assert result.details["rights"]["webhooks"] == "missing"


async def test_token_without_eshop_right(shop: State, base_url: str) -> None:
    shop.rights = {"orders", "products"}
    result = await connector.check({"apiUrl": base_url}, {"apiToken": shop.token})
    assert not result.ok
    assert "accepted the API token" in result.message
    assert "e-shop information, stocks, price lists and webhooks" in result.message
    assert_no_token(result.message)


async def test_unknown_warehouse(shop: State, base_url: str) -> None:
    shop.stocks = [SimStock(1, "Hlavní sklad"), SimStock(2, "Prodejna Brno")]
    result = await connector.check({"apiUrl": base_url, "stockId": 7}, {"apiToken": shop.token})
    assert not result.ok
    assert "no warehouse with ID 7" in result.message
    assert "2 (“Prodejna Brno”)" in result.message


async def test_unreachable_port(closed_port: int) -> None:
    settings = {"apiUrl": f"http://127.0.0.1:{closed_port}"}
    result = await connector.check(settings, {"apiToken": DEFAULT_TOKEN})
    assert not result.ok
    assert "cannot reach" in result.message.lower()
    assert f"127.0.0.1:{closed_port}" in result.message
    assert_no_token(result.message)


async def test_address_that_is_not_the_api(shop: State, base_url: str) -> None:
    result = await connector.check({"apiUrl": base_url + "/elsewhere"}, {"apiToken": shop.token})
    assert not result.ok
    assert "404" in result.message


@pytest.mark.parametrize(
    ("status", "body", "headers", "expected"),
    [
        (
            503,
            envelope_error("maintenance", "Database migration in progress."),
            {},
            "under maintenance (HTTP 503). Try again in a few minutes.",
        ),
        (
            429,
            envelope_error("too-many-requests", "Slow down."),
            {"retry_after": "Mon, 01 Jul 2024 12:01:11 GMT"},
            "(HTTP 429); try again in a minute",
        ),
        (
            500,
            envelope_error("server-error", f'Token "{DEFAULT_TOKEN}" broke "123..000" us.'),
            {},
            "Shoptet answered with HTTP 500: Token",
        ),
        (
            200,
            b"<html><body>Welcome</body></html>",
            {"content_type": "text/html"},
            "not like the Shoptet API",
        ),
    ],
)
async def test_other_answers_are_told_in_plain_words(
    status: int, body: bytes, headers: dict[str, str], expected: str
) -> None:
    with serving(canned(status, body, **headers)) as url:
        result = await connector.check({"apiUrl": url}, {"apiToken": DEFAULT_TOKEN})
    assert not result.ok
    assert expected in result.message
    assert_no_token(result.message)
    assert "123..000" not in result.message


async def test_missing_token_and_bad_settings_need_no_network() -> None:
    assert not (await connector.check({}, {})).ok
    result = await connector.check({"apiUrl": "ftp://x"}, {"apiToken": DEFAULT_TOKEN})
    assert not result.ok
    assert "http" in result.message


def test_scrub_hides_the_token_and_its_shortened_form() -> None:
    token = "123456-p-100-abcdef"
    text = f'Your access token "123..def" has no defined rights; token {token} echoed; bare 123..def.'
    cleaned = scrub(text, [token])
    assert token not in cleaned
    assert "123..def" not in cleaned


# --- the simulator speaks the documented protocol -------------------------------------------------


@pytest.fixture(scope="module")
def openapi() -> dict[str, Any]:
    if not OPENAPI.exists():
        pytest.skip(f"the Shoptet OpenAPI file is not at {OPENAPI} (set SPOJKA_TEST_REFERENCE_DIR)")
    yaml = pytest.importorskip("yaml", reason="PyYAML reads the Shoptet OpenAPI file")
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with OPENAPI.open(encoding="utf-8") as f:
        document = yaml.load(f, Loader=loader)
    # Through JSON, the YAML's integer keys (status codes) become the strings JSON Pointer expects.
    converted: dict[str, Any] = json.loads(json.dumps(document, default=str))
    return converted


def validator_for(openapi: dict[str, Any], pointer: str) -> Draft202012Validator:
    """A validator of the OpenAPI document's schema at ``pointer``, with its $refs resolvable."""
    return Draft202012Validator({**openapi, "$ref": pointer})


def response_pointer(path: str, status: str = "200") -> str:
    escaped = path.replace("~", "~0").replace("/", "~1")
    return f"#/paths/{escaped}/get/responses/{status}/content/application~1json/schema"


@pytest.mark.parametrize(
    "path", ["/api/eshop", "/api/orders", "/api/products", "/api/stocks", "/api/pricelists", "/api/webhooks"]
)
def test_simulator_answers_match_the_openapi_schema(
    openapi: dict[str, Any], shop: State, base_url: str, path: str
) -> None:
    headers = {"Shoptet-Private-API-Token": shop.token, "Content-Type": "application/json"}
    response = httpx.get(base_url + path, headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    validator_for(openapi, response_pointer(path)).validate(body)
    assert response.headers["x-request-id"] == body["metadata"]["requestId"]


@pytest.mark.parametrize(
    ("headers", "status", "code"),
    [
        ({}, 401, "missing-access-token"),
        ({"Shoptet-Private-API-Token": "not-the-token"}, 401, "expired-token"),
    ],
)
def test_simulator_error_envelopes_match_the_openapi_schema(
    openapi: dict[str, Any], shop: State, base_url: str, headers: dict[str, str], status: int, code: str
) -> None:
    response = httpx.get(base_url + "/api/eshop", headers=headers)
    assert response.status_code == status
    body = response.json()
    assert set(body) == {"data", "errors", "metadata"}
    assert body["data"] is None
    assert body["errors"][0]["errorCode"] == code
    validator_for(openapi, "#/components/schemas/Errors").validate(body["errors"])
    validator_for(openapi, "#/components/schemas/Metadata").validate(body["metadata"])


def test_simulator_no_rights_error_quotes_the_shortened_token(shop: State, base_url: str) -> None:
    shop.rights.discard("orders")
    response = httpx.get(base_url + "/api/orders", headers={"Shoptet-Private-API-Token": shop.token})
    assert response.status_code == 403
    error = response.json()["errors"][0]
    assert error["errorCode"] == "invalid-token-no-rights"
    assert error["instance"] == "access-token"
    assert f'"{shop.token[:3]}..{shop.token[-3:]}"' in error["message"]
