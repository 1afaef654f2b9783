"""The POHODA session against the simulated mServer: the issue's done-when cases and POHODA's rules."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import msgspec
import pytest

from spojka.connector import AuthExpiredError, ConfigError, ConnectionContext, FatalError, RetriableError
from spojka.connector.capabilities import OrderOptions, OrderWrite
from spojka.connector.http import RetryPolicy
from spojka.connector.testing import Factory
from spojka_connectors.pohoda import PohodaConnector, connector
from spojka_connectors.pohoda.session import PohodaSession
from spojka_connectors.pohoda.simulator import State
from tests.connectors.pohoda.support import PohodaHarness, credentials_of, settings_for

RATES = {"21": "high", "12": "low", "0": "none"}


@pytest.fixture
def harness(pohoda: State, base_url: str) -> PohodaHarness:
    return PohodaHarness(pohoda, base_url)


def _context(state: State, base_url: str, **settings: Any) -> ConnectionContext:
    return ConnectionContext(
        connection_id="pohoda-session-test",
        settings=settings_for(state, base_url, **settings),
        credentials=credentials_of(state),
    )


@pytest.fixture
async def session(pohoda: State, base_url: str, harness: PohodaHarness) -> AsyncIterator[PohodaSession]:
    async with connector.open(_context(pohoda, base_url)) as opened:
        yield opened


def _writes(harness: PohodaHarness, n: int, *, reserve: bool = False) -> list[OrderWrite]:
    options = OrderOptions(vat_rates=RATES, reserve_stock=reserve, payment_type="Dobírkou", carrier="PPL")
    return [harness.factory.order_write(options=options) for _ in range(n)]


def _now() -> datetime:
    return datetime.now(UTC)


# -- the done-when cases ------------------------------------------------------------------------------
async def test_a_dropped_answer_after_commit_makes_no_twin(
    pohoda: State, harness: PohodaHarness, session: PohodaSession
) -> None:
    writes = _writes(harness, 2)
    pohoda.faults.drop_after_commit = 1
    first = await session.create_orders(writes)
    # The connection broke after POHODA committed: the session found the orders by their extId.
    assert [r.outcome for r in first] == ["created", "created"]
    assert all("answer was lost" in r.message for r in first), first
    assert len(pohoda.books.orders) == 2
    again = await session.create_orders(writes)
    assert [r.outcome for r in again] == ["unchanged", "unchanged"]
    assert [r.target_id for r in again] == [r.target_id for r in first]
    assert len(pohoda.books.orders) == 2


async def test_no_right_to_import_xml_fails_the_run_in_plain_words(
    pohoda: State, harness: PohodaHarness, session: PohodaSession
) -> None:
    pohoda.faults.pack_error = "no_rights"
    with pytest.raises(FatalError) as caught:
        await session.create_orders(_writes(harness, 1))
    message = caught.value.message
    assert "may not import XML" in message
    assert "Přístupová práva" in message
    assert "Uživatel není oprávněn importovat XML soubory." in message
    assert pohoda.password not in message
    assert pohoda.books.orders == {}


async def test_item_errors_mark_only_their_records(
    pohoda: State, harness: PohodaHarness, session: PohodaSession
) -> None:
    good, unknown_card, refused = _writes(harness, 3)
    lines = list(unknown_card.order.lines)
    lines[0] = msgspec.structs.replace(lines[0], kind="item", code="NEEXISTUJE-1")
    unknown_card = msgspec.structs.replace(
        unknown_card, order=msgspec.structs.replace(unknown_card.order, lines=tuple(lines))
    )
    pohoda.faults.record_errors[refused.ext_id] = (101, "Uživatel nemá dostatečná práva.")
    results = await session.create_orders([good, unknown_card, refused])
    assert [r.outcome for r in results] == ["created", "failed", "failed"]
    assert "NEEXISTUJE-1" in results[1].message
    assert "error 108" in results[1].message
    assert "item 1" in results[1].message
    assert "Create the stock card" in results[1].message
    assert f"order {refused.order.number}" in results[2].message
    assert "Uživatel nemá dostatečná práva" in results[2].message
    assert len(pohoda.books.orders) == 1


# -- pack-level and HTTP failures ------------------------------------------------------------------------
async def test_a_wrong_ico_is_a_settings_problem(
    pohoda: State, base_url: str, harness: PohodaHarness
) -> None:
    async with connector.open(_context(pohoda, base_url, ico="87654321")) as session:
        with pytest.raises(ConfigError, match="IČO in the connection settings"):
            await session.find_orders(["x"])


async def test_busy_licences_say_what_to_do(pohoda: State, session: PohodaSession) -> None:
    pohoda.faults.pack_error = "licence_busy"
    with pytest.raises(FatalError, match="licences are in use"):
        await session.find_orders(["x"])


async def test_wrong_password_and_forbidden_company_need_the_merchant(
    pohoda: State, base_url: str, harness: PohodaHarness
) -> None:
    context = _context(pohoda, base_url)
    wrong = ConnectionContext(
        connection_id="x", settings=context.settings, credentials={"username": "Spojka", "password": "špatně"}
    )
    async with connector.open(wrong) as session:
        with pytest.raises(AuthExpiredError) as caught:
            await session.find_orders(["x"])
    assert "špatně" not in caught.value.message
    pohoda.user_may_open_company = False
    async with connector.open(context) as session:
        with pytest.raises(AuthExpiredError, match="may not open the company"):
            await session.find_orders(["x"])


async def test_unavailable_mserver_is_retried_then_retriable(
    pohoda: State, base_url: str, harness: PohodaHarness
) -> None:
    quick = PohodaConnector(retry=RetryPolicy(attempts=2, backoff_base=0.01, backoff_cap=0.02))
    pohoda.faults.unavailable = 1
    async with quick.open(_context(pohoda, base_url)) as session:
        assert await session.find_orders(["x"]) == {}  # the second attempt went through
        pohoda.faults.unavailable = 5
        with pytest.raises(RetriableError, match="HTTP 503"):
            await session.find_orders(["x"])


# -- orders, reservations, deletes, invoices ---------------------------------------------------
async def test_reserved_orders_change_stock_and_deleting_releases_it(
    pohoda: State, harness: PohodaHarness, session: PohodaSession
) -> None:
    (write,) = _writes(harness, 1, reserve=True)
    codes = [line.code for line in write.order.lines if line.kind == "item"]
    before = {code: pohoda.books.card(code) for code in codes}
    assert all(card is not None and card.reservation == 0 for card in before.values())
    (created,) = await session.create_orders([write])
    assert created.outcome == "created"
    assert created.target_id is not None
    stored = pohoda.books.orders[int(created.target_id)]
    assert stored.is_reserved
    assert stored.payment_type == "Dobírkou"
    assert stored.carrier == "PPL"
    assert stored.ext_id is not None
    assert (stored.ext_id.ids, stored.ext_id.system) == (write.ext_id, "Spojka")
    assert stored.number_order == write.order.number
    reserved = sum((line.quantity for line in write.order.lines if line.kind == "item"), Decimal(0))
    assert sum((c.reservation for c in pohoda.books.cards.values()), Decimal(0)) == reserved
    levels = {
        lvl.code: lvl
        for page in [p async for p in session.read_stock(None, until=_now())]
        for lvl in page.levels
    }
    assert sum((levels[c].reserved for c in set(codes)), Decimal(0)) == reserved
    deleted = await session.delete_order(created.target_id)
    assert deleted.outcome == "updated"
    assert sum((c.reservation for c in pohoda.books.cards.values()), Decimal(0)) == 0
    assert (await session.delete_order(created.target_id)).outcome == "unchanged"


async def test_settled_or_invoiced_orders_are_not_deleted(
    pohoda: State, harness: PohodaHarness, session: PohodaSession
) -> None:
    settled_write, invoiced_write = _writes(harness, 2)
    settled, invoiced = await session.create_orders([settled_write, invoiced_write])
    assert settled.target_id is not None
    assert invoiced.target_id is not None
    pohoda.books.settle(int(settled.target_id), tracking_number="Z123")
    invoice = await session.create_invoice(invoiced.target_id, invoiced_write)
    assert invoice.outcome == "created"
    assert invoice.target_id is not None
    assert pohoda.books.orders[int(invoiced.target_id)].invoice_id == int(invoice.target_id)
    assert pohoda.books.invoices[int(invoice.target_id)].order_id == int(invoiced.target_id)
    refused = [await session.delete_order(t) for t in (settled.target_id, invoiced.target_id)]
    assert [r.outcome for r in refused] == ["failed", "failed"]
    assert "settled" in refused[0].message
    assert "faktur" in refused[1].message
    assert len(pohoda.books.orders) == 2
    again = await session.create_invoice(invoiced.target_id, invoiced_write)
    assert (again.outcome, again.target_id) == ("unchanged", invoice.target_id)


async def test_czech_text_and_foreign_currency_arrive_intact(
    pohoda: State, harness: PohodaHarness, session: PohodaSession
) -> None:
    order = Factory(seed=5).order(currency="EUR")
    order = msgspec.structs.replace(order, note="Prosím doručit odpoledne, zvonek „Čápová“, děkuji ☺")
    lines = tuple(msgspec.structs.replace(line, kind="shipping", code="") for line in order.lines)
    write = OrderWrite(
        ext_id="čeština-1", order=msgspec.structs.replace(order, lines=lines), options=OrderOptions()
    )
    (result,) = await session.create_orders([write])
    assert result.outcome == "created", result.message
    assert result.target_id is not None
    stored = pohoda.books.orders[int(result.target_id)]
    assert stored.note == write.order.note
    assert stored.currency == "EUR"
    assert stored.rate == Decimal("25.20")
    assert stored.items[0].foreign_unit_price == lines[0].unit_price_gross


async def test_unmapped_vat_rate_fails_that_order_only(
    harness: PohodaHarness, session: PohodaSession
) -> None:
    good, odd = _writes(harness, 2)
    lines = tuple(msgspec.structs.replace(line, vat_rate=Decimal(10)) for line in odd.order.lines)
    odd = msgspec.structs.replace(odd, order=msgspec.structs.replace(odd.order, lines=lines))
    results = await session.create_orders([good, odd])
    assert [r.outcome for r in results] == ["created", "failed"]
    assert "VAT rate 10 %" in results[1].message


# -- products, stock, fulfilments ---------------------------------------------------------------------------
async def test_products_become_cards_in_the_store_and_update(
    pohoda: State, harness: PohodaHarness, session: PohodaSession
) -> None:
    product = harness.factory.product(template_index=1)  # a product with variants
    first = await session.upsert_products([product])
    assert [r.outcome for r in first] == ["created"]
    for variant in product.variants:
        card = pohoda.books.card(variant.code)
        assert card is not None
        assert card.ean == variant.ean
        assert card.selling_price == variant.sale_price_gross
    repriced = msgspec.structs.replace(
        product,
        variants=tuple(msgspec.structs.replace(v, sale_price_gross=Decimal("999")) for v in product.variants),
    )
    assert [r.outcome for r in await session.upsert_products([repriced])] == ["updated"]
    assert [r.outcome for r in await session.upsert_products([repriced])] == ["unchanged"]
    card = pohoda.books.card(product.variants[0].code)
    assert card is not None
    assert card.selling_price == Decimal(999)


async def test_stock_cursor_reads_only_what_changed(pohoda: State, session: PohodaSession) -> None:
    pages = [p async for p in session.read_stock(None, until=_now())]
    assert sum(len(p.levels) for p in pages) == len(pohoda.books.cards)
    code = next(iter(pohoda.books.cards.values())).code
    pohoda.books.set_stock(code, Decimal(3), purchasing_price=Decimal("77.70"))
    later = [
        lvl for p in [p async for p in session.read_stock(pages[-1].cursor, until=_now())] for lvl in p.levels
    ]
    changed = [(lvl.code, lvl.on_hand, lvl.purchase_price) for lvl in later]
    assert changed == [(code, Decimal(3), Decimal("77.70"))]
    assert later[0].warehouse == "ZBOŽÍ"


async def test_fulfilments_carry_the_tracking_number(
    pohoda: State, harness: PohodaHarness, session: PohodaSession
) -> None:
    writes = _writes(harness, 2)
    created = await session.create_orders(writes)
    target = created[0].target_id
    assert target is not None
    pages = [p async for p in session.read_fulfilments(None, until=_now())]
    assert [f for p in pages for f in p.fulfilments] == []
    pohoda.books.settle(int(target), tracking_number="DR1234567890CZ", carrier="Česká pošta")
    later = [
        f
        for p in [p async for p in session.read_fulfilments(pages[-1].cursor, until=_now())]
        for f in p.fulfilments
    ]
    assert len(later) == 1
    assert later[0].target_id == target
    assert later[0].order_number == writes[0].order.number
    assert later[0].tracking_number == "DR1234567890CZ"
    assert later[0].carrier == "Česká pošta"


async def test_the_tracking_field_is_a_setting(pohoda: State, base_url: str, harness: PohodaHarness) -> None:
    async with connector.open(_context(pohoda, base_url, trackingParameter="VPrBalik")) as session:
        (created,) = await session.create_orders(_writes(harness, 1))
        assert created.target_id is not None
        pohoda.books.settle(int(created.target_id), tracking_number="B-1", parameter="VPrBalik")
        pages = [p async for p in session.read_fulfilments(None, until=_now())]
    assert [f.tracking_number for p in pages for f in p.fulfilments] == ["B-1"]


async def test_bad_settings_refuse_to_open(pohoda: State, base_url: str) -> None:
    with pytest.raises(ConfigError, match="8 digits"):
        async with connector.open(_context(pohoda, base_url, ico="123")):
            pass


async def test_an_order_deleted_in_pohoda_can_be_sent_again(
    pohoda: State, harness: PohodaHarness, session: PohodaSession
) -> None:
    """The batch duplicity check would refuse the very same pack; the session sends it as a new one."""
    (write,) = _writes(harness, 1)
    (first,) = await session.create_orders([write])
    assert first.target_id is not None
    pohoda.books.delete_order(int(first.target_id))
    (again,) = await session.create_orders([write])
    assert again.outcome == "created", again.message
    assert again.target_id != first.target_id
    assert len(pohoda.books.orders) == 1


async def test_find_then_create_looks_up_once_and_still_makes_no_twin(
    pohoda: State, base_url: str, harness: PohodaHarness, session: PohodaSession
) -> None:
    first, raced = _writes(harness, 2)
    assert await session.find_orders([first.ext_id, raced.ext_id]) == {}
    # Another run creates `raced` between this session's lookup and its create.
    async with connector.open(_context(pohoda, base_url)) as other:
        (theirs,) = await other.create_orders([raced])
    sent_before = len(pohoda.received)
    results = await session.create_orders([first, raced])
    # One import pack, then one lookup for the order POHODA refused as a duplicate extId.
    assert len(pohoda.received) - sent_before == 2
    assert [r.outcome for r in results] == ["created", "unchanged"]
    assert results[1].target_id == theirs.target_id
    assert len(pohoda.books.orders) == 2


async def test_pohoda_warnings_reach_the_record_message(
    pohoda: State, harness: PohodaHarness, session: PohodaSession
) -> None:
    """POHODA (since 11500) warns when a reservation exceeds the stock: the order is created, and said so."""
    (write,) = _writes(harness, 1, reserve=True)
    code = next(line.code for line in write.order.lines if line.kind == "item")
    pohoda.books.set_stock(code, Decimal(0))
    (result,) = await session.create_orders([write])
    assert result.outcome == "created"
    assert "POHODA warns" in result.message
    assert code in result.message


async def test_the_same_ext_id_twice_in_one_call_is_one_order(
    pohoda: State, harness: PohodaHarness, session: PohodaSession
) -> None:
    (write,) = _writes(harness, 1)
    results = await session.create_orders([write, write])
    assert [r.outcome for r in results] == ["created", "created"]
    assert results[0] == results[1]
    assert len(pohoda.books.orders) == 1
