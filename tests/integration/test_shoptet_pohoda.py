"""Shoptet and POHODA through the whole platform: the API, a real arq worker and the two real
connectors, talking over HTTP to their simulators. Orders go into POHODA, its stock comes back to
the shop, and orders settled in POHODA are marked done in the shop with their tracking numbers."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar import Litestar

from spojka.connector.registry import Registry
from spojka.connector.simulation import serving
from spojka.settings import Settings
from spojka_connectors.pohoda.simulator import State as PohodaState
from spojka_connectors.pohoda.simulator import build_app as build_pohoda
from spojka_connectors.pohoda.simulator.schemas import load_schemas
from spojka_connectors.shoptet.simulator import State as ShoptetState
from spojka_connectors.shoptet.simulator import build_app as build_shoptet
from spojka_connectors.shoptet.simulator import delivery, seed_shop
from tests.conftest import DatabaseUnderTest
from tests.integration.conftest import make_settings
from tests.support.api import ApiUser
from tests.support.platform import drain as drain_queue
from tests.support.platform import running_app


def real_connectors() -> Registry:
    return Registry.from_entry_points()


@pytest.fixture
def shop() -> Iterator[tuple[ShoptetState, str]]:
    state = ShoptetState()
    seed_shop(state, 5, orders=4)
    with serving(build_shoptet(state)) as url:
        yield state, url


@pytest.fixture
def books(shop: tuple[ShoptetState, str]) -> Iterator[tuple[PohodaState, str]]:
    state = PohodaState()
    # The accounting company keeps a stock card for everything the shop sells.
    for product in shop[0].products.values():
        for variant in product.variants:
            state.books.add_card(
                variant.code,
                product.name,
                count=Decimal(25),
                selling_price=variant.price,
                purchasing_price=Decimal("100.00"),
            )
    with serving(build_pohoda(state, load_schemas())) as url:
        yield state, url


@pytest.fixture
async def platform(
    test_database: DatabaseUnderTest, redis_url: str, tmp_path: Path
) -> AsyncIterator[tuple[Litestar, Settings]]:
    settings = make_settings(test_database, tmp_path, job_timeout_seconds=120)
    async with running_app(settings, real_connectors(), redis_url) as application:
        yield application, settings


async def drain(settings: Settings, redis_url: str) -> None:
    await drain_queue(settings, redis_url, real_connectors())


async def _run(user: ApiUser, link_id: str, flow: str, settings: Settings, redis_url: str) -> dict[str, Any]:
    response = await user.post(f"/api/v1/links/{link_id}/runs", json={"flow": flow})
    assert response.status_code == 202, response.text
    run_id = response.json()["id"]
    await drain(settings, redis_url)
    run: dict[str, Any] = (await user.get(f"/api/v1/runs/{run_id}")).json()
    assert run["status"] == "succeeded", run
    return run


async def test_orders_in_stock_back_and_tracking_numbers_out(
    platform: tuple[Litestar, Settings],
    redis_url: str,
    shop: tuple[ShoptetState, str],
    books: tuple[PohodaState, str],
) -> None:
    app, settings = platform
    shop_state, shop_url = shop
    books_state, books_url = books
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
    user = ApiUser(client)
    await user.signup()
    eshop = await user.create_connection(
        "shoptet",
        name="Simulated Shoptet",
        settings={"apiUrl": shop_url, "stockId": shop_state.default_stock_id, "stockField": "realStock"},
        credentials={"apiToken": shop_state.token},
    )
    accounting = await user.create_connection(
        "pohoda",
        name="Simulated POHODA",
        settings={"url": books_url, "ico": books_state.ico, "store": "ZBOŽÍ"},
        credentials={"username": books_state.username, "password": books_state.password},
    )
    for connection in (eshop, accounting):
        check = (await user.post(f"/api/v1/connections/{connection['id']}/check")).json()
        assert check["ok"], check
    response = await user.post(
        "/api/v1/links",
        json={
            "name": f"Shoptet → POHODA {uuid.uuid4().hex[:4]}",
            "eshopConnectionId": eshop["id"],
            "accountingConnectionId": accounting["id"],
            # POHODA does not reserve the orders here, so the shop keeps its own claims on them:
            # its real stock is what POHODA has on hand (written as Shoptet's realStock).
            "flows": {"stock": {"afterOrders": False, "rule": "on_hand"}},
        },
    )
    assert response.status_code == 201, response.text
    link_id = response.json()["id"]

    # The link wants webhooks: the worker registers the e-shop connection's hook address at Shoptet.
    await drain(settings, redis_url)
    assert {(w.event, w.url) for w in shop_state.webhooks.values()} == {
        (event, eshop["webhookUrl"]) for event in ("order:create", "order:update", "order:paid")
    }
    assert shop_state.signature_key is not None

    # Orders: every order of the shop becomes one received order in POHODA, linked by extId.
    run = await _run(user, link_id, "orders", settings, redis_url)
    assert run["counts"]["created"] == len(shop_state.orders) == 4
    received = list(books_state.books.orders.values())
    assert sorted(o.number_order for o in received) == sorted(shop_state.orders)
    assert all(o.ext_id is not None for o in received)
    again = await _run(user, link_id, "orders", settings, redis_url)
    assert again["counts"]["created"] == 0
    assert len(books_state.books.orders) == 4

    # A new order arrives by webhook, signed with the key the registration obtained.
    new_order = shop_state.add_order(
        [(next(iter(shop_state.products.values())).variants[0].code, Decimal(1))]
    )
    headers, body = delivery(shop_state, "order:create", new_order.code)
    hook_path = str(eshop["webhookUrl"]).removeprefix(settings.effective_public_url)
    delivered = await client.post(hook_path, content=body, headers=headers)
    assert delivered.status_code == 202, delivered.text
    forged = await client.post(hook_path, content=body.replace(b"create", b"update"), headers=headers)
    assert forged.status_code == 401, forged.text
    await drain(settings, redis_url)
    assert new_order.code in {o.number_order for o in books_state.books.orders.values()}
    runs = (await user.get(f"/api/v1/links/{link_id}/runs?flow=orders")).json()["items"]
    assert "webhook" in {r["trigger"] for r in runs}

    # Stock: POHODA's quantities reach the shop's default warehouse.
    await _run(user, link_id, "stock", settings, redis_url)
    for product in shop_state.products.values():
        for variant in product.variants:
            card = books_state.books.card(variant.code)
            assert card is not None
            assert variant.stock == card.count, variant.code
            assert variant.buy_price == card.purchasing_price, variant.code

    # Fulfilment: an order settled in POHODA with a tracking number is marked done in the shop.
    settled = received[0]
    books_state.books.settle(settled.id, tracking_number="DR1234567890CZ", carrier="PPL")
    run = await _run(user, link_id, "fulfilment", settings, redis_url)
    assert run["counts"]["updated"] == 1
    order = shop_state.orders[settled.number_order]
    assert order.tracking_number == "DR1234567890CZ" or "DR1234567890CZ" in (order.eshop_remark or "")
    events = (await user.get(f"/api/v1/runs/{run['id']}/events")).json()["items"]
    assert [e["sourceId"] for e in events] == [settled.number_order]
    await client.aclose()
