"""``GET /api/v1/connections/{id}/options``: a connection's remote choices for the link editor, read
live through the connector's ``options.read`` (the in-memory shop and books, and a connector without
the capability)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar import Litestar

from spojka.connector import AuthExpiredError, RetriableError
from spojka.connector.registry import Registry
from spojka.connector.testing import (
    Factory,
    MemoryBooks,
    MemoryShop,
    memory_books,
    memory_shop,
    reset_systems,
)
from tests.conftest import DatabaseUnderTest
from tests.integration.conftest import make_settings
from tests.support.api import ApiUser
from tests.support.connectors import GOOD_TOKEN, accounting_connector, eshop_connector
from tests.support.platform import running_app

LISTS = ("orderStatuses", "paymentMethods", "shippingMethods", "vatRates", "numberSeries", "warehouses")


@pytest.fixture
async def app(test_database: DatabaseUnderTest, redis_url: str, tmp_path: Path) -> AsyncIterator[Litestar]:
    reset_systems()
    registry = Registry()
    for connector in (memory_shop, memory_books, eshop_connector(), accounting_connector()):
        registry.register(connector)
    async with running_app(make_settings(test_database, tmp_path), registry, redis_url) as application:
        yield application
    reset_systems()


async def _user(app: Litestar) -> AsyncIterator[ApiUser]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as client:
        user = ApiUser(client)
        await user.signup()
        yield user


@pytest.fixture
async def user(app: Litestar) -> AsyncIterator[ApiUser]:
    async for signed_in in _user(app):
        yield signed_in


@pytest.fixture
async def stranger(app: Litestar) -> AsyncIterator[ApiUser]:
    async for signed_in in _user(app):
        yield signed_in


async def _connect(user: ApiUser, connector: str, system: MemoryShop | MemoryBooks) -> str:
    made = await user.create_connection(
        connector, settings={"system": system.name}, credentials=system.credentials()
    )
    connection_id: str = made["id"]
    return connection_id


async def _options(user: ApiUser, connection_id: str) -> httpx.Response:
    return await user.get(f"/api/v1/connections/{connection_id}/options")


def _pairs(listed: list[dict[str, Any]]) -> list[tuple[str, str]]:
    assert all(set(option) == {"value", "label"} for option in listed), listed
    return [(option["value"], option["label"]) for option in listed]


async def test_the_shops_lists_are_answered_in_camel_case(user: ApiUser) -> None:
    shop = MemoryShop(f"shop-{uuid.uuid4().hex[:6]}")
    orders = shop.add_orders(Factory(seed=5).orders(12))
    response = await _options(user, await _connect(user, "memory-shop", shop))
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"supported", *LISTS}
    assert body["supported"] is True
    expected = shop.options()
    assert _pairs(body["orderStatuses"]) == [(o.value, o.label) for o in expected.order_statuses]
    assert _pairs(body["paymentMethods"]) == [(o.value, o.label) for o in expected.payment_methods]
    assert _pairs(body["shippingMethods"]) == [(o.value, o.label) for o in expected.shipping_methods]
    assert _pairs(body["vatRates"]) == [("21", "21 %"), ("12", "12 %"), ("0", "0 %")]
    assert body["numberSeries"] == []
    assert body["warehouses"] == []
    # Every value an order carries can be chosen: the link's maps are keyed by them.
    statuses = {v for v, _ in _pairs(body["orderStatuses"])}
    assert {o.status for o in orders} <= statuses
    assert {o.payment.code for o in orders if o.payment} <= {v for v, _ in _pairs(body["paymentMethods"])}
    assert {o.shipping.code for o in orders if o.shipping} <= {v for v, _ in _pairs(body["shippingMethods"])}
    assert shop.calls["read_options"] == 1


async def test_the_books_lists_include_number_series_and_warehouses(user: ApiUser) -> None:
    books = MemoryBooks(f"books-{uuid.uuid4().hex[:6]}")
    books.set_stock("HRN-1", 4, warehouse="SKLAD2")
    response = await _options(user, await _connect(user, "memory-books", books))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["supported"] is True
    assert _pairs(body["vatRates"]) == [
        ("high", "Základní sazba"),
        ("low", "Snížená sazba"),
        ("none", "Bez DPH"),
    ]
    assert _pairs(body["numberSeries"])[0] == ("OBJ", "Přijaté objednávky")
    assert [v for v, _ in _pairs(body["warehouses"])] == ["HLAVNI", "PRODEJNA", "SKLAD2"]


async def test_another_tenants_connection_and_an_unknown_id_are_not_found(
    user: ApiUser, stranger: ApiUser
) -> None:
    shop = MemoryShop(f"shop-{uuid.uuid4().hex[:6]}")
    connection_id = await _connect(user, "memory-shop", shop)
    for response in (await _options(stranger, connection_id), await _options(user, str(uuid.uuid4()))):
        assert response.status_code == 404, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
    assert shop.calls["open"] == 0
    assert shop.calls["read_options"] == 0
    assert (await _options(user, connection_id)).status_code == 200


async def test_a_connector_without_the_capability_answers_unsupported(user: ApiUser) -> None:
    made = await user.create_connection("test-eshop")
    assert made["connector"] == "test-eshop"
    response = await _options(user, made["id"])
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["supported"] is False
    assert all(body[name] == [] for name in LISTS)


@pytest.mark.parametrize(
    ("method", "error"),
    [
        ("read_options", RetriableError("The shop is down for maintenance; try again in an hour.")),
        ("open", AuthExpiredError("The shop no longer accepts the token; reconnect it.")),
    ],
)
async def test_a_remote_failure_is_a_503_in_plain_words_without_a_secret(
    user: ApiUser, method: str, error: Exception
) -> None:
    shop = MemoryShop(f"shop-{uuid.uuid4().hex[:6]}", token=f"secret-{uuid.uuid4().hex}")
    connection_id = await _connect(user, "memory-shop", shop)
    shop.fail_next(method, error)
    response = await _options(user, connection_id)
    assert response.status_code == 503, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["detail"] == str(getattr(error, "message", error))
    assert shop.token not in response.text
    assert GOOD_TOKEN not in response.text
    # The failure was the remote's, once: the next look works.
    assert (await _options(user, connection_id)).json()["supported"] is True
