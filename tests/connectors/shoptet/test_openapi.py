"""Every answer the simulator gives to the connector validates against Shoptet's official OpenAPI file.

A recording transport under the connector keeps each request and answer of a session that uses every
endpoint the connector calls (the check, order reads with the list and the changes log, details,
products, webhooks, stock and price writes with row errors, fulfilment, the options: statuses,
payment and shipping methods, the e-shop's VAT rates), plus the simulator's other documented answers
of those endpoints (``/api/eshop`` with its ``include`` sections, the 403 of a sales channel filter);
openapi-core then validates each answer against the operation and status it belongs to.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from jsonschema import Draft202012Validator
from werkzeug.datastructures import Headers, ImmutableMultiDict

from spojka.connector import MemoryState
from spojka.connector.model import Fulfilment, StockLevel
from spojka_connectors.shoptet import ShoptetConnector
from spojka_connectors.shoptet.simulator import SimShippingMethod
from tests.conftest import REFERENCE_DIR
from tests.connectors.shoptet.conftest import NO_LIMITS, Shop

openapi_core = pytest.importorskip("openapi_core", reason="openapi-core validates the answers")
ResponseNotFound = pytest.importorskip("openapi_core.templating.responses.exceptions").ResponseNotFound

OPENAPI = REFERENCE_DIR / "eshop" / "shoptet" / "openapi.yaml"
#: The OpenAPI file's server; requests are validated as if they had gone there.
SERVER = "https://api.myshoptet.com"


@pytest.fixture(scope="module")
def openapi() -> Any:
    if not OPENAPI.exists():
        pytest.skip(f"the Shoptet OpenAPI file is not at {OPENAPI} (set SPOJKA_TEST_REFERENCE_DIR)")
    yaml = pytest.importorskip("yaml", reason="PyYAML reads the Shoptet OpenAPI file")
    with OPENAPI.open(encoding="utf-8") as f:
        document = yaml.load(f, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    # Through JSON, the YAML's integer keys (status codes) become the strings OpenAPI expects.
    converted = json.loads(json.dumps(document, default=str))
    # The file is Shoptet's own; validating it (slow: seconds) is not this test's business.
    config = openapi_core.Config(spec_validator_cls=None)
    return openapi_core.OpenAPI.from_dict(converted, config=config), converted


class Recording(httpx.AsyncBaseTransport):
    """A real transport that keeps every exchange."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.exchanges: list[tuple[httpx.Request, bytes, httpx.Response]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        response = await self.inner.handle_async_request(request)
        await response.aread()
        self.exchanges.append((request, body, response))
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


@dataclass
class ApiRequest:
    """openapi-core's view of an httpx request, as sent to the documented server."""

    request: httpx.Request
    body: bytes

    @property
    def host_url(self) -> str:
        return SERVER

    @property
    def path(self) -> str:
        return self.request.url.path

    @property
    def method(self) -> str:
        return self.request.method.lower()

    @property
    def parameters(self) -> Any:
        query = parse_qs(urlsplit(str(self.request.url)).query)
        return openapi_core.datatypes.RequestParameters(
            query=ImmutableMultiDict(query),
            header=Headers(dict(self.request.headers)),
            cookie=ImmutableMultiDict(),
        )

    @property
    def content_type(self) -> str:
        return self.request.headers.get("content-type", "application/json")


@dataclass
class ApiResponse:
    response: httpx.Response

    @property
    def data(self) -> bytes:
        return self.response.content

    @property
    def status_code(self) -> int:
        return self.response.status_code

    @property
    def content_type(self) -> str:
        return self.response.headers.get("content-type", "").split(";")[0]

    @property
    def headers(self) -> Headers:
        return Headers(dict(self.response.headers))


async def _exercise(shop: Shop, connector: ShoptetConnector) -> None:
    """Call every endpoint the connector uses, including answers with row errors and a 404."""
    for _ in range(3):
        shop.state.add_order()
    shop.add_single("OA-1")
    shop.add_single("OA-SET", kind="product-set")
    assert (await connector.check(shop.settings(), shop.credentials())).ok
    state = MemoryState()
    now = datetime.now(UTC)
    async with connector.open(shop.context(state, pageSize=2)) as session:
        pages = [p async for p in session.read_orders(None, until=now)]
        order = pages[0].orders[0]
        shop.state.change_order(order.source_id, status_id=-2)
        _ = [p async for p in session.read_orders(pages[-1].cursor, until=datetime.now(UTC))]
        assert await session.get_order("1999000000") is None
        _ = [p async for p in session.read_products(None, until=datetime.now(UTC))]
        await session.register_webhooks("https://spojka.example/hook/1")
        await session.register_webhooks("https://spojka.example/hook/2")
        levels = [
            StockLevel(code="OA-1", on_hand=Decimal(3), purchase_price=Decimal("10.5")),
            StockLevel(code="OA-SET", on_hand=Decimal(1)),
            StockLevel(code="OA-NONE", on_hand=Decimal(1), purchase_price=Decimal(1)),
        ]
        await session.write_stock(levels)
        await session.write_stock(levels[2:])  # every row refused: 400
        await session.write_purchase_prices(levels)
        fulfilment = Fulfilment(target_id="x", tracking_number="DR1234567890E")
        await session.fulfil_order(order.source_id, fulfilment)
        await session.read_options()


async def _exercise_directly(shop: Shop, recording: Recording) -> None:
    """The answers of those endpoints the connector does not ask for: ``include`` sections, filters."""
    headers = {"Shoptet-Private-API-Token": shop.state.token, "Content-Type": "application/json"}
    # A method only one order uses, and a wholesale one, appear in the lists and the include sections.
    shop.state.add_order(shipping=("Balíkovna", Decimal(65)))
    shop.state.shipping_methods.append(SimShippingMethod("PPL - velkoobchod", None, wholesale=True))
    channel = {"salesChannelGuid": "0199bdfd-0979-71fb-85ce-e483c61d391b"}
    async with httpx.AsyncClient(transport=recording, base_url=shop.url, headers=headers) as client:
        for params in (
            {"include": "orderStatuses,paymentMethods,shippingMethods"},
            {"include": "orderStatuses"},
        ):
            answer = await client.get("/api/eshop", params=params)
            assert set(params["include"].split(",")) <= set(answer.json()["data"]), answer.text
        for path in ("/api/orders/statuses", "/api/payment-methods", "/api/shipping-methods"):
            assert (await client.get(path)).status_code == 200
        for path in ("/api/payment-methods", "/api/shipping-methods"):
            assert (await client.get(path, params=channel)).status_code == 403


def _error_envelope_problems(document: dict[str, Any], response: httpx.Response) -> list[str]:
    body = response.json()
    where = f"{response.request.method} {response.request.url.path} -> {response.status_code}"
    if set(body) != {"data", "errors", "metadata"} or body["data"] is not None or not body["errors"]:
        return [f"{where}: not an error envelope: {body}"]
    problems = []
    for name, part in (("Errors", body["errors"]), ("Metadata", body["metadata"])):
        validator = Draft202012Validator({**document, "$ref": f"#/components/schemas/{name}"})
        problems += [f"{where}: {e.message}" for e in validator.iter_errors(part)]
    return problems


async def test_every_answer_to_the_connector_validates(openapi: Any, shop: Shop) -> None:
    validator, document = openapi
    recording = Recording()
    connector = ShoptetConnector(rate_limits=NO_LIMITS, transport=recording)
    await _exercise(shop, connector)
    await _exercise_directly(shop, recording)
    checked: dict[str, int] = {}
    problems: list[str] = []
    for request, body, response in recording.exchanges:
        if not request.url.path.startswith("/api/"):
            continue
        try:
            validator.validate_response(ApiRequest(request, body), ApiResponse(response))
        except ResponseNotFound:
            # A status the operation does not list (404 of an order detail is documented in words only):
            # its body must still be the documented error envelope.
            problems += _error_envelope_problems(document, response)
        except Exception as exc:  # the report names every failure, not just the first
            problems.append(f"{request.method} {request.url.path} -> {response.status_code}: {exc!r}")
        key = f"{request.method} {response.status_code}"
        checked[key] = checked.get(key, 0) + 1
    assert not problems, "\n".join(problems)
    statuses = {k.rsplit(" ", 1)[1] for k in checked}
    assert {"200", "201", "400", "403", "404"} <= statuses, checked
    paths = {request.url.path for request, _, _ in recording.exchanges}
    assert {"/api/orders/statuses", "/api/payment-methods", "/api/shipping-methods", "/api/eshop"} <= paths
    assert len(recording.exchanges) > 30, checked
