"""The contract suite on the in-memory connectors, proof that it catches broken ones, and the fakes'
own behaviour (fault injection, reservations, strict codes, webhooks) that platform tests rely on."""

from __future__ import annotations

import secrets
import subprocess
import sys
import textwrap
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import msgspec
import pytest

from spojka.connector import AuthExpiredError, ConfigError, Connector, FatalError, RetriableError
from spojka.connector import capabilities as cap
from spojka.connector.capabilities import (
    Option,
    OrderOptions,
    OrderPage,
    OrderWrite,
    RemoteOptions,
    WriteResult,
)
from spojka.connector.model import Order, Product, StockLevel
from spojka.connector.registry import Registry
from spojka.connector.spec import CheckResult, ConnectorSpec
from spojka.connector.testing import (
    SYSTEMS,
    Factory,
    MemoryBooks,
    MemoryBooksConnector,
    MemoryBooksSession,
    MemoryShop,
    MemoryShopConnector,
    MemoryShopSession,
    memory_books,
    memory_shop,
)
from spojka.connector.testing import contract as c
from spojka.connector.testing.contract import ConnectorContract, ContractError, Harness, contract_suite

PAGE_SIZE = 3


def _name(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(4)}"


# -- harnesses ------------------------------------------------------------------------------------
class ShopHarness(Harness):
    """Drives a fresh :class:`MemoryShop` as the outside world."""

    paging_records = 7

    def __init__(self) -> None:
        self.shop = MemoryShop(_name("contract-shop"))

    async def settings(self) -> Mapping[str, Any]:
        return self.shop.settings(page_size=PAGE_SIZE)

    async def credentials(self) -> Mapping[str, str]:
        return self.shop.credentials()

    async def bad_credentials(self) -> Mapping[str, str]:
        return {"token": "not-the-shop-token"}

    async def seed_orders(self, n: int) -> Sequence[str]:
        return [o.source_id for o in self.shop.add_orders(self.factory.orders(n))]

    async def seed_products(self, n: int) -> Sequence[str]:
        return [p.code for p in self.shop.add_products(self.factory.products(n))]

    async def stock_codes(self, n: int) -> Sequence[str]:
        # Template 0 (a mug) has no variants, so the product's own code takes stock.
        products = [self.factory.product(template_index=0) for _ in range(n)]
        return [p.code for p in self.shop.add_products(products)]

    async def webhook_delivery(self, source_id: str) -> tuple[Mapping[str, str], bytes]:
        return self.shop.webhook_for("order:update", source_id)


class BooksHarness(Harness):
    """Drives a fresh :class:`MemoryBooks` (strict about codes, so the writes need stock cards)."""

    paging_records = 7

    def __init__(self) -> None:
        self.books = MemoryBooks(_name("contract-books"))
        self.books.add_products(self.factory.catalogue)

    async def settings(self) -> Mapping[str, Any]:
        return self.books.settings(page_size=PAGE_SIZE, strict_codes=True)

    async def credentials(self) -> Mapping[str, str]:
        return self.books.credentials()

    async def bad_credentials(self) -> Mapping[str, str]:
        return {"token": "not-the-books-token"}

    async def seed_stock(self, n: int) -> Sequence[str]:
        levels = self.factory.stock_levels(self.factory.products(n))[:n]
        self.books.load_stock(levels)
        return [level.code for level in levels]

    async def seed_fulfilments(self, n: int) -> Sequence[str]:
        targets = [self.books.add_order(order).target_id for order in self.factory.orders(n)]
        for target in targets:
            self.books.settle(target, "PPL", f"4001{target:0>7}")
        return targets

    async def read_back_order(self, target_id: str) -> Order | None:
        stored = self.books.orders.get(target_id)
        return stored.order if stored else None


# -- the contract on both connectors --------------------------------------------------------------
class TestMemoryShopContract(ConnectorContract):
    connector_under_test = MemoryShopConnector()

    @pytest.fixture
    def harness(self) -> Harness:
        return ShopHarness()


TestMemoryBooksContract = contract_suite(memory_books, BooksHarness, name="TestMemoryBooksContract")


# -- the suite catches broken connectors ----------------------------------------------------------
class SkippingCursorSession(MemoryShopSession):
    """Its cursors point one record too far: resuming from one skips a record."""

    async def read_orders(self, cursor: str | None, *, until: datetime) -> AsyncIterator[OrderPage]:
        async for page in super().read_orders(cursor, until=until):
            assert page.cursor is not None
            stream, _, seq = page.cursor.partition(":")
            yield OrderPage(orders=page.orders, cursor=f"{stream}:{int(seq) + 1}")


class IgnoresUntilSession(MemoryShopSession):
    async def read_orders(self, cursor: str | None, *, until: datetime) -> AsyncIterator[OrderPage]:
        async for page in super().read_orders(cursor, until=datetime.max.replace(tzinfo=UTC)):
            yield page


class NaiveDatesSession(MemoryShopSession):
    async def read_orders(self, cursor: str | None, *, until: datetime) -> AsyncIterator[OrderPage]:
        async for page in super().read_orders(cursor, until=until):
            naive = tuple(
                msgspec.structs.replace(o, created_at=o.created_at.replace(tzinfo=None)) for o in page.orders
            )
            yield OrderPage(orders=naive, cursor=page.cursor)


class TwinMakingSession(MemoryBooksSession):
    """Forgets ext ids: a repeated create makes a second order."""

    async def create_orders(self, writes: Sequence[OrderWrite]) -> list[WriteResult]:
        for write in writes:
            self.system._by_ext.pop(write.ext_id, None)
        return await super().create_orders(writes)


class LeakyShopConnector(MemoryShopConnector):
    async def check(self, settings: Mapping[str, Any], credentials: Mapping[str, str]) -> CheckResult:
        result = await super().check(settings, credentials)
        return CheckResult(ok=result.ok, message=f"{result.message} (token {credentials.get('token')})")


def _shop_connector(session: type[MemoryShopSession]) -> MemoryShopConnector:
    connector = MemoryShopConnector()
    connector.session_class = session
    return connector


def _books_connector(session: type[MemoryBooksSession]) -> MemoryBooksConnector:
    connector = MemoryBooksConnector()
    connector.session_class = session
    return connector


async def test_suite_catches_a_cursor_that_skips_a_record() -> None:
    with pytest.raises(ContractError, match="from the cursor of page 1"):
        await c.check_reads_resumable(_shop_connector(SkippingCursorSession), ShopHarness(), "orders")


async def test_suite_catches_a_read_past_until() -> None:
    with pytest.raises(ContractError, match="changed after `until`"):
        await c.check_reads_never_pass_until(_shop_connector(IgnoresUntilSession), ShopHarness(), "orders")


async def test_suite_catches_naive_datetimes() -> None:
    with pytest.raises(ContractError, match="has no time zone"):
        await c.check_reads_resumable(_shop_connector(NaiveDatesSession), ShopHarness(), "orders")


async def test_suite_catches_twins() -> None:
    with pytest.raises(ContractError, match="made a twin"):
        await c.check_order_write_makes_no_twin(_books_connector(TwinMakingSession), BooksHarness())


async def test_suite_catches_a_leaked_token() -> None:
    with pytest.raises(ContractError, match="contains a credential value"):
        await c.check_rejects_bad_credentials(LeakyShopConnector(), ShopHarness())


async def test_suite_catches_a_declared_capability_without_methods() -> None:
    connector = MemoryBooksConnector()
    connector.spec = msgspec.structs.replace(
        connector.spec, capabilities=(*connector.spec.capabilities, cap.ORDERS_UPDATE)
    )
    with pytest.raises(ContractError, match=r"orders\.update: the session is not a UpdatesOrders"):
        await c.check_session_capabilities(connector, BooksHarness())


class BrokenOptionsSession(MemoryShopSession):
    """Lists whatever ``options`` says (set per test), then changes it when asked again."""

    options: RemoteOptions = RemoteOptions()
    unstable = False

    async def read_options(self) -> RemoteOptions:
        listed = type(self).options
        if type(self).unstable:
            type(self).options = RemoteOptions(payment_methods=(Option(value="later", label="Později"),))
        return listed


@pytest.mark.parametrize(
    ("options", "unstable", "message"),
    [
        (
            RemoteOptions(
                order_statuses=(Option(value="new", label="Nová"), Option(value="new", label="Nová 2"))
            ),
            False,
            "order_statuses lists the value 'new' twice",
        ),
        (
            RemoteOptions(vat_rates=(Option(value="21", label=" "),)),
            False,
            "vat_rates has an option without a label",
        ),
        (
            RemoteOptions(warehouses=(Option(value="", label="Sklad"),)),
            False,
            "warehouses has an option without a value",
        ),
        (RemoteOptions(), True, "different lists when asked again"),
    ],
)
async def test_suite_catches_bad_options(options: RemoteOptions, unstable: bool, message: str) -> None:
    session = type("Broken", (BrokenOptionsSession,), {"options": options, "unstable": unstable})
    with pytest.raises(ContractError, match=message):
        await c.check_read_options(_shop_connector(session), ShopHarness())


async def test_suite_refuses_to_check_options_not_declared() -> None:
    connector = MemoryShopConnector()
    connector.spec = msgspec.structs.replace(
        connector.spec, capabilities=tuple(x for x in connector.spec.capabilities if x != cap.OPTIONS_READ)
    )
    with pytest.raises(ContractError, match=r"does not declare options\.read"):
        await c.check_read_options(connector, ShopHarness())
    assert (
        getattr(contract_suite(connector, ShopHarness, name="TestNoOptions"), "test_read_options", None)
        is None
    )


def test_suite_catches_unknown_capabilities_and_bad_schemas() -> None:
    connector = MemoryShopConnector()
    connector.spec = msgspec.structs.replace(connector.spec, capabilities=(cap.ORDERS_WRITE,))
    with pytest.raises(ContractError, match="not known for kind 'eshop'"):
        c.check_spec_capabilities(connector)
    connector.spec = msgspec.structs.replace(
        connector.spec,
        credentials_schema={"type": "object", "properties": {"pin": {"type": "integer"}}},
    )
    with pytest.raises(ContractError, match="'pin' is not a string"):
        c.check_spec_schemas(connector)
    connector.spec = msgspec.structs.replace(connector.spec, settings_schema={"type": "objekt"})
    with pytest.raises(ContractError, match="not valid JSON Schema"):
        c.check_spec_schemas(connector)


def test_only_the_declared_capabilities_become_tests() -> None:
    shop_suite = contract_suite(memory_shop, ShopHarness, name="TestShopOnly")
    assert shop_suite.contract_streams == ("orders", "products")
    assert getattr(shop_suite, "test_order_write_round_trips", None) is None
    assert getattr(shop_suite, "test_webhooks", None) is not None
    books_suite = contract_suite(memory_books, BooksHarness, name="TestBooksOnly")
    assert books_suite.contract_streams == ("stock", "fulfilments")
    assert getattr(books_suite, "test_webhooks", None) is None
    assert getattr(books_suite, "test_delete_order", None) is not None
    with pytest.raises(TypeError, match="must set connector_under_test"):
        type("TestForgotten", (ConnectorContract,), {})


async def test_a_declared_capability_the_harness_cannot_drive_fails() -> None:
    class NoStockHarness(BooksHarness):
        seed_stock = Harness.seed_stock

    with pytest.raises(ContractError, match="the harness cannot set stock levels"):
        await c.check_reads_resumable(memory_books, NoStockHarness(), "stock")
    with pytest.raises(ContractError, match=r"does not declare orders\.read"):
        await c.check_get_order(memory_books, BooksHarness())


def test_order_round_trip_problems_name_what_was_lost() -> None:
    order = Factory(seed=3).order(items=2)
    lines = list(order.lines)
    lines[0] = msgspec.structs.replace(lines[0], vat_rate=Decimal(15), code="OTHER")
    lines[1] = msgspec.structs.replace(lines[1], quantity=lines[1].quantity + 1)
    problems = c.order_round_trip_problems(order, msgspec.structs.replace(order, lines=tuple(lines)))
    text = "; ".join(problems)
    assert "VAT rate 15" in text
    assert "code 'OTHER'" in text
    assert "quantity" in text
    assert c.order_round_trip_problems(order, order) == []


def test_the_generated_class_reports_the_failure(tmp_path: Path) -> None:
    """Run as pytest runs it, the suite fails a connector whose cursor skips a record."""
    module = tmp_path / "test_broken_contract.py"
    module.write_text(
        textwrap.dedent(
            """
            from spojka.connector.testing.contract import contract_suite
            from tests.connectors import test_contract_memory as m

            broken = m._shop_connector(m.SkippingCursorSession)
            TestBroken = contract_suite(broken, m.ShopHarness, name="TestBroken")
            """
        )
    )
    root = Path(__file__).resolve().parents[2]
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            str(module),
            "-q",
            "-p",
            "no:cacheprovider",
            "--rootdir",
            str(root),
            "-c",
            str(root / "pyproject.toml"),
            "-k",
            "resumable or identity",
        ],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    output = completed.stdout + completed.stderr
    assert completed.returncode == 1, output
    assert "FAILED" in output
    assert "test_reads_are_resumable[orders]" in output
    assert "from the cursor of page 1" in output
    assert "1 failed" in output
    assert "passed" in output  # the rest of what ran, e.g. the spec test


# -- registry ---------------------------------------------------------------------------------------
def test_both_connectors_register_under_their_keys() -> None:
    registry = Registry()
    registry.register(memory_shop)
    registry.register(MemoryBooksConnector())
    shop_entry, books_entry = registry.get("memory-shop"), registry.get("memory-books")
    assert shop_entry is not None
    assert shop_entry.available
    assert books_entry is not None
    assert books_entry.spec is not None
    assert books_entry.spec.kind == "accounting"
    assert cap.ORDERS_UPDATE not in books_entry.spec.capabilities
    assert isinstance(memory_shop, Connector)
    for spec in (memory_shop.spec, memory_books.spec):
        assert isinstance(spec, ConnectorSpec)
        assert spec.simulated


# -- the fakes' own behaviour ------------------------------------------------------------------------
@pytest.fixture
def shop() -> MemoryShop:
    return MemoryShop(_name("shop"))


@pytest.fixture
def books() -> MemoryBooks:
    return MemoryBooks(_name("books"))


def _now() -> datetime:
    return datetime.now(UTC)


async def _read_orders(shop: MemoryShop, cursor: str | None = None, **settings: Any) -> list[OrderPage]:
    async with memory_shop.open(shop.context(**settings)) as session:
        return [page async for page in session.read_orders(cursor, until=_now())]


async def test_shop_options_hold_every_value_its_orders_carry(shop: MemoryShop) -> None:
    orders = shop.add_orders(Factory(seed=3).orders(30))
    shop.add_order(
        msgspec.structs.replace(orders[0], source_id="custom", status="on-hold", status_name="Pozastavená")
    )
    async with memory_shop.open(shop.context()) as session:
        options = await session.read_options()
    assert not c.options_problems(options)
    statuses = {o.value: o.label for o in options.order_statuses}
    assert {o.status for o in shop.orders.values()} <= set(statuses)
    assert statuses["on-hold"] == "Pozastavená"
    assert {"fulfilled", "cancelled"} <= set(statuses)  # what fulfil_order sets
    assert {o.payment.code for o in orders if o.payment} <= {m.value for m in options.payment_methods}
    assert {o.shipping.code for o in orders if o.shipping} <= {m.value for m in options.shipping_methods}
    assert {o.value for o in options.vat_rates} == {"21", "12", "0"}
    assert options.number_series == ()
    assert options.warehouses == ()


async def test_books_options_name_what_order_options_may_carry(books: MemoryBooks) -> None:
    books.set_stock("HRN-001", 5, warehouse="SKLAD2")
    async with memory_books.open(books.context()) as session:
        options = await session.read_options()
    assert not c.options_problems(options)
    assert {o.value for o in options.vat_rates} == set(
        Factory(seed=1).order_write().options.vat_rates.values()
    )
    assert [o.value for o in options.warehouses] == ["HLAVNI", "PRODEJNA", "SKLAD2"]
    assert options.number_series[0].value == "OBJ"
    books.fail_next("read_options", RetriableError("Accounting is busy."))
    async with memory_books.open(books.context()) as session:
        with pytest.raises(RetriableError, match="busy"):
            await session.read_options()


async def test_systems_are_looked_up_by_the_system_setting(shop: MemoryShop) -> None:
    assert SYSTEMS[shop.name] is shop
    other = MemoryShop(_name("shop"))
    shop.add_orders(Factory(seed=1).orders(2))
    assert len(_flat(await _read_orders(shop))) == 2
    assert _flat(await _read_orders(other)) == []
    with pytest.raises(ConfigError, match="no in-memory system named"):
        await _read_orders(MemoryShop("unregistered", register=False))
    books = MemoryBooks(_name("books"))
    with pytest.raises(ConfigError, match="is an accounting"):
        async with memory_shop.open(books.context()):
            pass


def _flat(pages: list[OrderPage]) -> list[Order]:
    return [o for p in pages for o in p.orders]


async def test_page_size_defaults_to_fifty(shop: MemoryShop) -> None:
    shop.add_orders(Factory(seed=2, catalogue_size=4).orders(120))
    assert [len(p.orders) for p in await _read_orders(shop)] == [50, 50, 20]
    assert [len(p.orders) for p in await _read_orders(shop, page_size=40)] == [40, 40, 40]


async def test_a_changed_order_is_read_again_after_the_cursor(shop: MemoryShop) -> None:
    orders = shop.add_orders(Factory(seed=4).orders(3))
    pages = await _read_orders(shop)
    changed = shop.change_order(orders[0].source_id, status="cancelled", cancelled=True)
    assert changed.changed_at is not None
    assert orders[0].changed_at is not None
    assert changed.changed_at >= orders[0].changed_at
    again = _flat(await _read_orders(shop, pages[-1].cursor))
    assert [o.source_id for o in again] == [orders[0].source_id]
    assert again[0].cancelled


async def test_check_answers_in_words(shop: MemoryShop) -> None:
    ok = await memory_shop.check(shop.settings(), shop.credentials())
    assert ok.ok
    assert shop.name in ok.message
    refused = await memory_shop.check(shop.settings(), {"token": "nope-nope"})
    assert not refused.ok
    assert "nope-nope" not in refused.message
    assert not (await memory_shop.check({"system": shop.name, "pageSize": 3}, shop.credentials())).ok
    assert not (await memory_shop.check({}, shop.credentials())).ok
    shop.fail_next("check", RetriableError("The shop is down for maintenance."))
    down = await memory_shop.check(shop.settings(), shop.credentials())
    assert not down.ok
    assert down.message == "The shop is down for maintenance."
    # Settings that name no system never reach it.
    assert shop.calls["check"] == 3


async def test_open_refuses_a_wrong_token(shop: MemoryShop) -> None:
    context = shop.context()
    bad = type(context)(context.connection_id, context.settings, {"token": "wrong"})
    with pytest.raises(AuthExpiredError):
        async with memory_shop.open(bad):
            pass


async def test_fail_next_raises_once_then_works(books: MemoryBooks) -> None:
    factory = Factory(seed=5)
    books.fail_next("create_orders", RetriableError("busy", retry_after=3))
    async with memory_books.open(books.context()) as session:
        with pytest.raises(RetriableError) as caught:
            await session.create_orders([factory.order_write()])
        assert caught.value.retry_after == 3
        assert books.orders == {}
        results = await session.create_orders([factory.order_write()])
    assert [r.outcome for r in results] == ["created"]
    assert books.calls["create_orders"] == 2
    assert books.pending_faults("create_orders") == 0


async def test_fail_next_after_part_of_a_batch(books: MemoryBooks) -> None:
    factory = Factory(seed=6)
    writes = [factory.order_write() for _ in range(5)]
    books.fail_next("create_orders", RetriableError("dropped"), after=2)
    async with memory_books.open(books.context()) as session:
        with pytest.raises(RetriableError):
            await session.create_orders(writes)
        found = await session.find_orders([w.ext_id for w in writes])
    assert sorted(found) == sorted(w.ext_id for w in writes[:2])


async def test_fail_next_on_a_read_after_some_pages(shop: MemoryShop) -> None:
    shop.add_orders(Factory(seed=7).orders(7))
    shop.fail_next("read_orders", RetriableError("timeout"), after=1)
    seen: list[OrderPage] = []
    async with memory_shop.open(shop.context(page_size=3)) as session:
        pages = session.read_orders(None, until=_now())
        seen.append(await anext(pages))
        with pytest.raises(RetriableError):
            await anext(pages)
        assert len(seen) == 1
        rest = [p async for p in session.read_orders(seen[0].cursor, until=_now())]
    assert len(_flat(rest)) == 4


async def test_commit_then_drop_commits_then_raises(books: MemoryBooks) -> None:
    write = Factory(seed=8).order_write()
    books.commit_then_drop("create_orders")
    async with memory_books.open(books.context()) as session:
        with pytest.raises(RetriableError, match="dropped"):
            await session.create_orders([write])
        found = await session.find_orders([write.ext_id])
        assert list(found) == [write.ext_id]
        again = await session.create_orders([write])
    assert again[0].outcome == "failed"
    assert again[0].target_id == found[write.ext_id]
    assert books.duplicate_attempts == 1
    assert len(books.orders) == 1
    with pytest.raises(ValueError, match="does not write"):
        books.commit_then_drop("find_orders")
    with pytest.raises(ValueError, match="no method"):
        books.fail_next("update_order", RetriableError("x"))


async def test_fail_record_fails_only_that_record(shop: MemoryShop) -> None:
    factory = Factory(seed=9)
    codes = [p.code for p in shop.add_products([factory.product(template_index=0) for _ in range(3)])]
    shop.fail_record(codes[1], "Locked by another user.", retriable=True)
    levels = [factory.stock_level(code) for code in codes]
    async with memory_shop.open(shop.context()) as session:
        results = await session.write_stock(levels)
    assert [r.outcome for r in results] == ["updated", "failed", "updated"]
    assert results[1].retriable
    assert set(shop.stock_written) == {codes[0], codes[2]}
    assert shop.stock_writes == 2


async def test_write_stock_records_available_and_reports_unknown_codes_missing(shop: MemoryShop) -> None:
    product = shop.add_product(Factory(seed=10).product(template_index=1))  # a T-shirt with sizes
    size_m = product.variants[1].code
    levels = [
        msgspec.convert({"code": size_m, "on_hand": "9", "reserved": "2"}, StockLevel),
        msgspec.convert({"code": product.code, "on_hand": "1"}, StockLevel),
    ]
    async with memory_shop.open(shop.context()) as session:
        results = await session.write_stock(levels)
        prices = await session.write_purchase_prices(
            [msgspec.structs.replace(levels[0], purchase_price=Decimal("101.50"))]
        )
    assert results[0].outcome == "updated"
    assert shop.stock_written == {size_m: Decimal(7)}
    # The parent of variants is not sellable itself.
    assert results[1].outcome == "missing"
    assert "no product or variant" in results[1].message
    assert prices[0].outcome == "updated"
    assert shop.products[product.code].variants[1].purchase_price == Decimal("101.50")


async def test_reservations_go_up_and_come_back_on_delete(books: MemoryBooks) -> None:
    factory = Factory(seed=11)
    books.add_products(factory.catalogue)
    books.load_stock(factory.stock_levels())
    write = factory.order_write(options=OrderOptions(reserve_stock=True))
    items = [line for line in write.order.lines if line.kind == "item"]
    before = {line.code: books.stock[(line.code, "")].reserved for line in items}
    async with memory_books.open(books.context()) as session:
        (created,) = await session.create_orders([write])
        for line in items:
            expected = before[line.code] + sum(i.quantity for i in items if i.code == line.code)
            assert books.stock[(line.code, "")].reserved == expected
        assert created.target_id is not None
        deleted = await session.delete_order(created.target_id)
    assert deleted.outcome == "updated"
    assert {line.code: books.stock[(line.code, "")].reserved for line in items} == before


async def test_a_reservation_shows_in_the_stock_read(books: MemoryBooks) -> None:
    factory = Factory(seed=12)
    books.add_products(factory.catalogue)
    books.load_stock(factory.stock_levels())
    async with memory_books.open(books.context()) as session:
        pages = [p async for p in session.read_stock(None, until=_now())]
        cursor = pages[-1].cursor
        await session.create_orders([factory.order_write(options=OrderOptions(reserve_stock=True))])
        changed = [
            lvl for p in [p async for p in session.read_stock(cursor, until=_now())] for lvl in p.levels
        ]
    assert changed
    assert all(level.reserved > 0 for level in changed)


async def test_strict_codes_refuse_an_order_line_without_a_card(books: MemoryBooks) -> None:
    factory = Factory(seed=13)
    first, second = factory.order_write(), factory.order_write()
    books.add_products(factory.catalogue)
    unknown = msgspec.structs.replace(second.order.lines[0], code="NO-SUCH-CARD")
    second = msgspec.structs.replace(
        second, order=msgspec.structs.replace(second.order, lines=(unknown, *second.order.lines[1:]))
    )
    async with memory_books.open(books.context(strict_codes=True)) as session:
        results = await session.create_orders([first, second])
    assert [r.outcome for r in results] == ["created", "failed"]
    assert "NO-SUCH-CARD" in results[1].message
    async with memory_books.open(books.context()) as session:
        (lenient,) = await session.create_orders([second])
    assert lenient.outcome == "created"


async def test_settled_or_invoiced_orders_cannot_be_deleted(books: MemoryBooks) -> None:
    factory = Factory(seed=14)
    writes = [factory.order_write() for _ in range(2)]
    async with memory_books.open(books.context()) as session:
        created = await session.create_orders(writes)
        settled, invoiced = (r.target_id for r in created)
        assert settled is not None
        assert invoiced is not None
        books.settle(settled, "PPL", "40012345678")
        invoice = await session.create_invoice(invoiced, writes[1])
        assert invoice.outcome == "created"
        assert books.orders[invoiced].invoice_id == invoice.target_id
        refused = [await session.delete_order(t) for t in (settled, invoiced)]
        gone = await session.delete_order("does-not-exist")
    assert [r.outcome for r in refused] == ["failed", "failed"]
    assert "settled" in refused[0].message
    assert "invoiced" in refused[1].message
    assert gone.outcome == "unchanged"


async def test_fulfilments_are_read_and_marked_in_the_shop(shop: MemoryShop, books: MemoryBooks) -> None:
    order = shop.add_order(Factory(seed=15).order())
    stored = books.add_order(order, ext_id="x-1")
    fulfilment = books.settle(stored.target_id, "Zásilkovna", "Z1234567890")
    assert fulfilment.order_number == order.number
    async with memory_books.open(books.context()) as session:
        (page,) = [p async for p in session.read_fulfilments(None, until=_now())]
    assert page.fulfilments == (fulfilment,)
    async with memory_shop.open(shop.context()) as session:
        result = await session.fulfil_order(order.source_id, fulfilment)
        again = await session.fulfil_order(order.source_id, fulfilment)
    assert (result.outcome, again.outcome) == ("updated", "unchanged")
    assert shop.fulfilled[order.source_id] == fulfilment
    assert shop.orders[order.source_id].status == "fulfilled"


async def test_webhooks_verify_and_refuse_forgeries(shop: MemoryShop) -> None:
    order = shop.add_order(Factory(seed=16).order())
    headers, body = shop.webhook_for("order:create", order.source_id)
    async with memory_shop.open(shop.context()) as session:
        (event,) = await session.verify_webhook({k.lower(): v for k, v in headers.items()}, body)
        with pytest.raises(AuthExpiredError):
            await session.verify_webhook(headers, body.replace(b"order:create", b"order:delete"))
        await session.register_webhooks("https://example.test/hook")
    assert event.object_id == order.source_id
    assert event.event == "order:create"
    assert order.source_id in event.dedup_key
    assert shop.webhook_urls == ["https://example.test/hook"]


async def test_until_holds_back_a_change_made_during_the_run() -> None:
    clock = [datetime(2024, 3, 1, 10, 0, tzinfo=UTC)]
    shop = MemoryShop(_name("shop"), clock=lambda: clock[0])
    factory = Factory(seed=17)
    orders = shop.add_orders(factory.orders(2))
    run_started = clock[0]
    clock[0] += timedelta(seconds=5)
    late = shop.add_order(factory.order())
    async with memory_shop.open(shop.context()) as session:
        now_pages = [p async for p in session.read_orders(None, until=run_started)]
        later = [p async for p in session.read_orders(now_pages[-1].cursor, until=clock[0])]
    assert [o.source_id for o in _flat(now_pages)] == [o.source_id for o in orders]
    assert [o.source_id for o in _flat(later)] == [late.source_id]


async def test_a_clock_going_back_never_reorders_changes() -> None:
    clock = [datetime(2024, 3, 1, 10, 0, tzinfo=UTC)]
    shop = MemoryShop(_name("shop"), clock=lambda: clock[0])
    factory = Factory(seed=19)
    first = shop.add_order(factory.order())
    clock[0] -= timedelta(hours=1)
    second = shop.add_order(factory.order())
    assert first.changed_at is not None
    assert second.changed_at == first.changed_at


async def test_a_foreign_cursor_is_refused(shop: MemoryShop) -> None:
    with pytest.raises(FatalError, match="not written by"):
        await _read_orders(shop, "stock:3")


async def test_a_closed_session_refuses_work(shop: MemoryShop) -> None:
    async with memory_shop.open(shop.context()) as session:
        pass
    with pytest.raises(FatalError, match="closed"):
        await session.get_order("1")


async def test_upserted_products_say_what_happened(books: MemoryBooks) -> None:
    factory = Factory(seed=21)
    products: list[Product] = [factory.product(template_index=0), factory.product(template_index=1)]
    async with memory_books.open(books.context()) as session:
        first = await session.upsert_products(products)
        renamed = msgspec.structs.replace(products[0], name="Hrnek smaltovaný")
        second = await session.upsert_products([renamed, products[1]])
    assert [r.outcome for r in first] == ["created", "created"]
    assert [r.outcome for r in second] == ["updated", "unchanged"]
    assert books.has_card(products[1].variants[0].code)
