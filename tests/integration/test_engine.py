"""The sync engine end to end: the HTTP API, a real arq worker, the in-memory shop and books."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import AsyncIterator, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar import Litestar

from spojka.connector import FatalError
from spojka.connector.model import StockLevel
from spojka.connector.registry import Registry
from spojka.connector.testing import (
    SIGNATURE_HEADER,
    Factory,
    MemoryBooks,
    MemoryShop,
    memory_books,
    memory_shop,
    reset_systems,
    sellable_codes,
)
from spojka.settings import Settings
from tests.conftest import DatabaseUnderTest
from tests.integration.conftest import make_settings
from tests.support.api import ApiUser
from tests.support.mail import Inbox, smtp_server
from tests.support.platform import drain as drain_queue
from tests.support.platform import running_app


def engine_registry() -> Registry:
    registry = Registry()
    registry.register(memory_shop)
    registry.register(memory_books)
    return registry


@pytest.fixture
async def engine_env(
    test_database: DatabaseUnderTest, redis_url: str, tmp_path: Path
) -> AsyncIterator[tuple[Litestar, Settings]]:
    reset_systems()
    settings = make_settings(test_database, tmp_path, job_timeout_seconds=60)
    async with running_app(settings, engine_registry(), redis_url) as application:
        yield application, settings
    reset_systems()


async def drain(settings: Settings, redis_url: str) -> None:
    """Run a real arq worker with the in-memory connectors until the queue is empty."""
    await drain_queue(settings, redis_url, engine_registry())


async def signed_in(app: Litestar) -> ApiUser:
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
    user = ApiUser(client)
    await user.signup()
    return user


async def connect(user: ApiUser, connector: str, system: MemoryShop | MemoryBooks) -> dict[str, Any]:
    return await user.create_connection(
        connector, settings={"system": system.name}, credentials=system.credentials()
    )


async def link(
    user: ApiUser, shop_conn: dict[str, Any], books_conn: dict[str, Any], **flows: Any
) -> dict[str, Any]:
    response = await user.post(
        "/api/v1/links",
        json={
            "name": f"link {uuid.uuid4().hex[:6]}",
            "eshopConnectionId": shop_conn["id"],
            "accountingConnectionId": books_conn["id"],
            **({"flows": flows} if flows else {}),
        },
    )
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def start(user: ApiUser, link_id: str, flow: str) -> str:
    response = await user.post(f"/api/v1/links/{link_id}/runs", json={"flow": flow})
    assert response.status_code == 202, response.text
    run_id: str = response.json()["id"]
    return run_id


async def runs_of(user: ApiUser, link_id: str, flow: str) -> list[dict[str, Any]]:
    body = (await user.get(f"/api/v1/links/{link_id}/runs?flow={flow}")).json()
    items: list[dict[str, Any]] = body["items"]
    return items


async def test_two_shops_share_one_books_orders_in_and_stock_back(
    engine_env: tuple[Litestar, Settings], redis_url: str
) -> None:
    app, settings = engine_env
    # Two language versions of one shop: the same catalogue, their own orders, one warehouse.
    factory = Factory(seed=7)
    shop_a, shop_b, books = MemoryShop("shop-a"), MemoryShop("shop-b"), MemoryBooks("books")
    for shop in (shop_a, shop_b):
        shop.add_products(factory.catalogue)
    for order in factory.orders(5):
        shop_a.add_order(order)
    for order in factory.orders(3):
        shop_b.add_order(order)
    codes = sellable_codes(factory.catalogue)
    books.load_stock(
        [StockLevel(code=c, warehouse="", on_hand=Decimal(40), reserved=Decimal(2)) for c in codes]
    )

    user = await signed_in(app)
    books_conn = await connect(user, "memory-books", books)
    link_a = await link(user, await connect(user, "memory-shop", shop_a), books_conn)
    link_b = await link(user, await connect(user, "memory-shop", shop_b), books_conn)

    run_a = await start(user, link_a["id"], "orders")
    await start(user, link_b["id"], "orders")
    await drain(settings, redis_url)

    assert len(books.orders) == 8
    assert len({o.ext_id for o in books.orders.values()}) == 8
    run = (await user.get(f"/api/v1/runs/{run_a}")).json()
    assert run["status"] == "succeeded", run
    assert run["counts"]["created"] == 5
    events = (await user.get(f"/api/v1/runs/{run_a}/events")).json()
    assert {e["action"] for e in events["items"]} == {"create"}
    assert all(e["targetId"] for e in events["items"])

    # The orders run changed accounting, so a stock run followed on each link.
    for link_id in (link_a["id"], link_b["id"]):
        stock_runs = await runs_of(user, link_id, "stock")
        assert [r["trigger"] for r in stock_runs] == ["after:orders"]
        assert stock_runs[0]["status"] == "succeeded", stock_runs[0]["error"]
    # The shared warehouse's levels reach both shops (less what the eight orders reserved, if any).
    for code in codes:
        level = books.stock[(code, "")]
        expected = level.on_hand - level.reserved
        assert shop_a.stock_written[code] == shop_b.stock_written[code] == expected

    # A second stock run with nothing changed writes nothing.
    writes_before = shop_a.stock_writes
    await start(user, link_a["id"], "stock")
    await drain(settings, redis_url)
    assert shop_a.stock_writes == writes_before
    latest = (await runs_of(user, link_a["id"], "stock"))[0]
    assert latest["counts"]["created"] == latest["counts"]["updated"] == 0


async def test_accounting_that_commits_then_drops_gets_no_second_document(
    engine_env: tuple[Litestar, Settings], redis_url: str
) -> None:
    app, settings = engine_env
    shop, books = MemoryShop("shop-c"), MemoryBooks("books-c")
    for order in Factory(seed=3).orders(4):
        shop.add_order(order)
    books.commit_then_drop("create_orders")
    user = await signed_in(app)
    the_link = await link(
        user, await connect(user, "memory-shop", shop), await connect(user, "memory-books", books)
    )
    run_id = await start(user, the_link["id"], "orders")
    await drain(settings, redis_url)
    assert len(books.orders) == 4
    assert books.duplicate_attempts == 0
    run = (await user.get(f"/api/v1/runs/{run_id}")).json()
    assert run["status"] == "succeeded"
    found = [
        e for e in (await user.get(f"/api/v1/runs/{run_id}/events")).json()["items"] if e["action"] == "found"
    ]
    assert len(found) == 4


async def test_a_changed_order_is_flagged_because_books_cannot_update(
    engine_env: tuple[Litestar, Settings], redis_url: str
) -> None:
    app, settings = engine_env
    shop, books = MemoryShop("shop-d"), MemoryBooks("books-d")
    order = Factory(seed=4).orders(1)[0]
    shop.add_order(order)
    user = await signed_in(app)
    the_link = await link(
        user, await connect(user, "memory-shop", shop), await connect(user, "memory-books", books)
    )
    await start(user, the_link["id"], "orders")
    await drain(settings, redis_url)
    shop.change_order(order.source_id, status="cancelled", cancelled=True)
    run_id = await start(user, the_link["id"], "orders")
    await drain(settings, redis_url)
    events = (await user.get(f"/api/v1/runs/{run_id}/events")).json()["items"]
    flagged = [e for e in events if e["action"] == "flag"]
    assert len(flagged) == 1
    assert "cannot update" in flagged[0]["message"]
    assert len(books.orders) == 1


async def test_webhook_and_poll_write_an_order_once_and_bad_signatures_are_refused(
    engine_env: tuple[Litestar, Settings], redis_url: str
) -> None:
    app, settings = engine_env
    shop, books = MemoryShop("shop-e"), MemoryBooks("books-e")
    user = await signed_in(app)
    shop_conn = await connect(user, "memory-shop", shop)
    the_link = await link(user, shop_conn, await connect(user, "memory-books", books))
    hook = shop_conn["webhookUrl"]
    assert hook
    assert hook.startswith(settings.effective_public_url)
    path = hook.removeprefix(settings.effective_public_url)

    order = Factory(seed=5).orders(1)[0]
    shop.add_order(order)
    headers, body = shop.webhook_for("order:create", order.source_id)
    anonymous = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
    forged = await anonymous.post(path, content=body, headers={**headers, SIGNATURE_HEADER: "0" * 64})
    assert forged.status_code == 401
    assert (await runs_of(user, the_link["id"], "orders")) == []
    wrong_token = await anonymous.post(
        path.rsplit("/", 1)[0] + "/not-the-token", content=body, headers=headers
    )
    assert wrong_token.status_code == 404

    first = await anonymous.post(path, content=body, headers=headers)
    again = await anonymous.post(path, content=body, headers=headers)
    assert first.status_code == again.status_code == 202
    assert (first.json()["accepted"], again.json()["duplicates"]) == (1, 1)
    await drain(settings, redis_url)
    assert len(books.orders) == 1
    # The scheduled poll that follows finds the order already bound.
    await start(user, the_link["id"], "orders")
    await drain(settings, redis_url)
    assert len(books.orders) == 1
    triggers = [r["trigger"] for r in await runs_of(user, the_link["id"], "orders")]
    assert sorted(triggers) == ["manual", "webhook"]


async def test_settled_orders_are_fulfilled_in_the_shop_once(
    engine_env: tuple[Litestar, Settings], redis_url: str
) -> None:
    app, settings = engine_env
    shop, books = MemoryShop("shop-f"), MemoryBooks("books-f")
    orders = Factory(seed=6).orders(2)
    for order in orders:
        shop.add_order(order)
    user = await signed_in(app)
    the_link = await link(
        user, await connect(user, "memory-shop", shop), await connect(user, "memory-books", books)
    )
    await start(user, the_link["id"], "orders")
    await drain(settings, redis_url)
    target = next(iter(books.orders))
    books.settle(target, "PPL", "PPL123456789")
    await start(user, the_link["id"], "fulfilment")
    await drain(settings, redis_url)
    assert len(shop.fulfilled) == 1
    fulfilment = next(iter(shop.fulfilled.values()))
    assert fulfilment.tracking_number == "PPL123456789"
    await start(user, the_link["id"], "fulfilment")
    await drain(settings, redis_url)
    assert len(shop.fulfilled) == 1
    assert fulfilment.eshop_status is None  # the e-shop connection's own fulfilled status

    # The link chooses the e-shop status a fulfilled order gets (from the e-shop's statuses).
    changed = await user.patch(
        f"/api/v1/links/{the_link['id']}", json={"flows": {"fulfilment": {"fulfilledStatus": "shipped"}}}
    )
    assert changed.status_code == 200, changed.text
    second = next(t for t in books.orders if t != target)
    books.settle(second, "PPL", "PPL987654321")
    await start(user, the_link["id"], "fulfilment")
    await drain(settings, redis_url)
    marked = [f for f in shop.fulfilled.values() if f.tracking_number == "PPL987654321"]
    assert [f.eshop_status for f in marked] == ["shipped"]


async def _events(user: ApiUser, run_id: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = (await user.get(f"/api/v1/runs/{run_id}/events")).json()["items"]
    return items


async def test_a_fulfilment_that_fails_is_marked_on_a_later_run(
    engine_env: tuple[Litestar, Settings], redis_url: str
) -> None:
    """Accounting reports a settled order once; a mark the shop refused is not lost with it."""
    app, settings = engine_env
    shop, books = MemoryShop("shop-fr"), MemoryBooks("books-fr")
    orders = [shop.add_order(order) for order in Factory(seed=8).orders(2)]
    user = await signed_in(app)
    the_link = await link(
        user, await connect(user, "memory-shop", shop), await connect(user, "memory-books", books)
    )
    await start(user, the_link["id"], "orders")
    await drain(settings, redis_url)
    for target in list(books.orders):
        books.settle(target, "PPL", f"PPL{target:0>9}")
    shop.fail_record(orders[0].source_id, "The order is locked by another user.")
    first = await start(user, the_link["id"], "fulfilment")
    await drain(settings, redis_url)
    assert set(shop.fulfilled) == {orders[1].source_id}
    failed = [e for e in await _events(user, first) if e["outcome"] == "failed"]
    assert [e["sourceId"] for e in failed] == [orders[0].source_id]
    assert "locked by another user" in failed[0]["message"]
    assert "tried again" in failed[0]["message"]

    # Accounting has nothing new to report; the failed mark is retried from its binding.
    second = await start(user, the_link["id"], "fulfilment")
    await drain(settings, redis_url)
    assert set(shop.fulfilled) == {o.source_id for o in orders}
    assert shop.fulfilled[orders[0].source_id].tracking_number is not None
    assert [e["outcome"] for e in await _events(user, second)] == ["updated"]
    third = await start(user, the_link["id"], "fulfilment")
    await drain(settings, redis_url)
    assert await _events(user, third) == []


async def test_a_stock_write_that_fails_is_written_on_the_next_run(
    engine_env: tuple[Litestar, Settings], redis_url: str
) -> None:
    """With one warehouse the stock read is incremental: a refused code does not come back from
    accounting, so the engine keeps its level and writes it again."""
    app, settings = engine_env
    factory = Factory(seed=9)
    shop, books = MemoryShop("shop-sr"), MemoryBooks("books-sr")
    shop.add_products(factory.catalogue)
    codes = sellable_codes(factory.catalogue)[:4]
    books.load_stock([StockLevel(code=c, warehouse="", on_hand=Decimal(7)) for c in codes])
    user = await signed_in(app)
    the_link = await link(
        user, await connect(user, "memory-shop", shop), await connect(user, "memory-books", books)
    )
    shop.fail_record(codes[0], "Stock is being counted.", retriable=True)
    first = await start(user, the_link["id"], "stock")
    await drain(settings, redis_url)
    assert set(shop.stock_written) == set(codes[1:])
    assert [e["sourceId"] for e in await _events(user, first) if e["outcome"] == "failed"] == [codes[0]]
    second = await start(user, the_link["id"], "stock")
    await drain(settings, redis_url)
    assert shop.stock_written[codes[0]] == Decimal(7)
    assert [(e["sourceId"], e["outcome"]) for e in await _events(user, second)] == [(codes[0], "created")]
    writes = shop.stock_writes
    await start(user, the_link["id"], "stock")
    await drain(settings, redis_url)
    assert shop.stock_writes == writes


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    with smtp_server() as server:
        yield server


async def test_a_failing_flow_emails_the_owners_once_and_again_when_it_recovers(
    engine_env: tuple[Litestar, Settings], redis_url: str, inbox: tuple[Inbox, int]
) -> None:
    app, settings = engine_env
    box, port = inbox
    mail_settings = dataclasses.replace(
        settings, smtp_host="127.0.0.1", smtp_port=port, smtp_starttls="no", alert_after_failures=2
    )
    shop, books = MemoryShop("shop-g"), MemoryBooks("books-g")
    user = await signed_in(app)
    the_link = await link(
        user, await connect(user, "memory-shop", shop), await connect(user, "memory-books", books)
    )
    for _ in range(3):
        books.fail_next("open", FatalError("This POHODA user has no right to import XML."))
        await start(user, the_link["id"], "orders")
        await drain(mail_settings, redis_url)
    runs = await runs_of(user, the_link["id"], "orders")
    assert [r["status"] for r in runs] == ["failed"] * 3
    assert "no right to import" in runs[0]["error"]
    assert len(box.messages) == 1
    alert = box.messages[0]
    assert alert["To"] == user.email
    assert "keeps failing" in alert["Subject"]
    assert "no right to import XML" in alert.get_payload()

    await start(user, the_link["id"], "orders")
    await drain(mail_settings, redis_url)
    assert len(box.messages) == 2
    assert "works again" in box.messages[1]["Subject"]
