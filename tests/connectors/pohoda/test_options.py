"""``options.read`` against the simulated mServer over real HTTP: the lists, and that their values
are exactly what the connector writes into received orders and reads back as stock levels."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
import msgspec
import pytest
from lxml import etree

from spojka.connector import ConnectionContext, FatalError
from spojka.connector.capabilities import OrderOptions, RemoteOptions
from spojka_connectors.pohoda import connector, options
from spojka_connectors.pohoda.client import basic_authorization
from spojka_connectors.pohoda.pack import data_pack
from spojka_connectors.pohoda.session import PohodaSession
from spojka_connectors.pohoda.simulator import State
from spojka_connectors.pohoda.simulator.control import PREFIX
from spojka_connectors.pohoda.simulator.state import NO_RIGHTS_NOTE
from spojka_connectors.pohoda.xmlns import NS, parse_document, q, text_of
from tests.connectors.pohoda.support import (
    XSD_FOLDER,
    PohodaHarness,
    credentials_of,
    needs_xsds,
    settings_for,
)

SALE_STORE = "VÝPRODEJ"


def _context(state: State, base_url: str, **settings: Any) -> ConnectionContext:
    return ConnectionContext(
        connection_id="pohoda-options-test",
        settings=settings_for(state, base_url, **settings),
        credentials=credentials_of(state),
    )


@pytest.fixture
def harness(pohoda: State, base_url: str) -> PohodaHarness:
    return PohodaHarness(pohoda, base_url)


@pytest.fixture
async def session(pohoda: State, base_url: str, harness: PohodaHarness) -> AsyncIterator[PohodaSession]:
    async with connector.open(_context(pohoda, base_url)) as opened:
        yield opened


def _values(listed: tuple[Any, ...]) -> list[str]:
    return [option.value for option in listed]


def _one(listed: tuple[Any, ...], value: str) -> Any:
    return next(option for option in listed if option.value == value)


# -- the lists --------------------------------------------------------------------------------------
async def test_the_lists_come_in_one_data_pack(pohoda: State, session: PohodaSession) -> None:
    sent_before = len(pohoda.received)
    listed = await session.read_options()
    # One request to the mServer, with the three list requests in it.
    sent = pohoda.received[sent_before:]
    assert len(sent) == 1
    kinds = [etree.QName(item[0]).localname for item in parse_document(sent[0].body)]
    assert kinds == ["listStoreRequest", "listNumericalSeriesRequest", "listPaymentRequest"]

    assert _values(listed.warehouses) == ["ZBOŽÍ", SALE_STORE]
    assert _one(listed.warehouses, "ZBOŽÍ").label == "ZBOŽÍ (Hlavní sklad zboží)"
    # Only the series of received orders: not those of invoices or issued orders.
    assert _values(listed.number_series) == ["OBP", "OP", "OPV"]
    assert _one(listed.number_series, "OP").label == "OP (Objednávky z e-shopu)"
    # A form of payment for sales receipts only (Stravenky) is not offered for orders.
    assert _values(listed.payment_methods) == ["Příkazem", "Hotově", "Dobírkou", "Kartou"]
    assert _one(listed.payment_methods, "Dobírkou").label == "Dobírkou (Platba při převzetí zásilky)"
    assert {o.value: o.label for o in listed.vat_rates} == {
        "high": "21 % (základní)",
        "low": "12 % (snížená)",
        "none": "0 % (bez DPH)",
    }
    # POHODA exports no list of carriers, and received orders carry no status Spojka sets.
    assert listed.shipping_methods == ()
    assert listed.order_statuses == ()

    # What the dashboard gets: JSON that decodes to the same lists, and the same lists again.
    assert msgspec.json.decode(msgspec.json.encode(listed), type=RemoteOptions) == listed
    assert await session.read_options() == listed


async def test_the_lists_follow_the_company(pohoda: State, session: PohodaSession) -> None:
    books = pohoda.books
    books.add_store("E-SHOP", "Sklad e-shopu")
    books.add_payment_form("Platba předem", "Převodem před odesláním", kind="transfer")
    books.add_series("26EO", "Objednávky e-shop 2026")
    books.add_series("PR", "Příjemky", agenda="prijemky")
    listed = await session.read_options()
    assert _values(listed.warehouses)[-1] == "E-SHOP"
    assert _values(listed.payment_methods)[-1] == "Platba předem"
    assert _values(listed.number_series) == ["OBP", "OP", "OPV", "26EO"]


# -- the values are what the connector writes and reads -------------------------------------------
async def test_values_taken_from_the_lists_are_what_create_orders_writes(
    pohoda: State, harness: PohodaHarness, session: PohodaSession
) -> None:
    books = pohoda.books
    for product in harness.factory.catalogue:
        for item in product.variants or (product,):
            books.add_card(item.code, item.name, store=SALE_STORE, count=Decimal(5), unit=item.unit)
    listed = await session.read_options()
    rates = {o.value for o in listed.vat_rates}
    chosen = OrderOptions(
        payment_type=_one(listed.payment_methods, "Kartou").value,
        number_series=_one(listed.number_series, "OP").value,
        warehouse=_one(listed.warehouses, SALE_STORE).value,
        vat_rates={"21": "high", "12": "low", "0": "none"},
    )
    assert set(chosen.vat_rates.values()) <= rates
    write = harness.factory.order_write(options=chosen)
    (result,) = await session.create_orders([write])
    assert result.outcome == "created", result.message
    assert result.target_id is not None
    stored = books.orders[int(result.target_id)]
    assert stored.series == "OP"
    assert stored.number.startswith("OP")
    assert stored.payment_type == "Kartou"
    goods = [item for item in stored.items if item.card_id is not None]
    assert goods
    assert {item.store for item in goods} == {SALE_STORE}
    assert {books.cards[item.card_id].store for item in goods if item.card_id is not None} == {SALE_STORE}
    assert {item.rate_vat for item in stored.items} <= rates

    # The XML itself carries the listed values where the XSDs put them.
    header = parse_document(pohoda.received[-1].body).find("dat:dataPackItem/ord:order/ord:orderHeader", NS)
    assert text_of(header, "ord:number/typ:ids") == "OP"
    assert text_of(header, "ord:paymentType/typ:ids") == "Kartou"
    # The series now has numbers issued, and POHODA tells the highest one.
    assert books.top_number("OP") == stored.number


async def test_a_listed_warehouse_is_the_warehouse_of_the_stock_read(
    pohoda: State, base_url: str, harness: PohodaHarness
) -> None:
    pohoda.books.add_card("SALE-1", "Hrnek z výprodeje", store=SALE_STORE, count=Decimal(3))
    async with connector.open(_context(pohoda, base_url)) as session:
        listed = await session.read_options()
    store = _one(listed.warehouses, SALE_STORE).value
    async with connector.open(_context(pohoda, base_url, store=store)) as session:
        levels = [
            level async for page in session.read_stock(None, until=datetime.now(UTC)) for level in page.levels
        ]
    assert [(level.code, level.warehouse) for level in levels] == [("SALE-1", store)]


async def test_values_outside_the_lists_are_refused_like_pohoda_refuses_them(
    pohoda: State, harness: PohodaHarness, session: PohodaSession
) -> None:
    unknown_payment = harness.factory.order_write(
        options=OrderOptions(payment_type="Bitcoin", vat_rates={"21": "high", "12": "low", "0": "none"})
    )
    invoice_series = harness.factory.order_write(
        options=OrderOptions(number_series="FV", vat_rates={"21": "high", "12": "low", "0": "none"})
    )
    payment, series = await session.create_orders([unknown_payment, invoice_series])
    assert payment.outcome == "failed"
    assert "at payment type" in payment.message
    assert "Bitcoin" in payment.message
    assert series.outcome == "failed"
    assert "Číselná řada FV pro přijaté objednávky neexistuje" in series.message
    assert not pohoda.books.orders


# -- refusals ---------------------------------------------------------------------------------------
async def test_a_list_the_user_may_not_see_fails_in_plain_words(
    pohoda: State, session: PohodaSession
) -> None:
    pohoda.faults.list_errors["listPaymentRequest"] = (101, NO_RIGHTS_NOTE)
    with pytest.raises(FatalError) as caught:
        await session.read_options()
    message = caught.value.message
    assert message.startswith("POHODA would not list its forms of payment (Formy úhrady):")
    assert "Uživatel nemá dostatečná práva (error 101)" in message
    assert "Přístupová práva" in message
    assert pohoda.password not in message


async def test_a_list_refused_through_the_control_api(
    pohoda: State, base_url: str, session: PohodaSession
) -> None:
    fault = {"listErrors": {"listNumericalSeriesRequest": {"errno": 101, "note": NO_RIGHTS_NOTE}}}
    async with httpx.AsyncClient(base_url=base_url) as control:
        assert (await control.put(f"{PREFIX}/faults", json=fault)).status_code == 200
        with pytest.raises(FatalError, match=r"number series \(Číselné řady\)"):
            await session.read_options()
        assert (await control.delete(f"{PREFIX}/faults")).status_code == 204
    assert _values((await session.read_options()).number_series) == ["OBP", "OP", "OPV"]


async def test_a_pack_refused_as_a_whole_fails_in_plain_words(pohoda: State, session: PohodaSession) -> None:
    pohoda.faults.pack_error = "no_rights"
    with pytest.raises(FatalError, match="may not import XML"):
        await session.read_options()


# -- the wire, checked against the XSDs independently of the simulator ---------------------------
@needs_xsds
def test_request_and_reply_packs_validate(pohoda: State, base_url: str) -> None:
    assert XSD_FOLDER is not None
    request_schema = etree.XMLSchema(etree.parse(str(XSD_FOLDER / "data.xsd")))
    reply_schema = etree.XMLSchema(etree.parse(str(XSD_FOLDER / "response.xsd")))
    body = data_pack(
        ico=pohoda.ico, application="Spojka testy", purpose="options", note="test", items=options.requests()
    )
    assert request_schema.validate(etree.ElementTree(parse_document(body))), request_schema.error_log
    headers = {"STW-Authorization": basic_authorization(pohoda.username, pohoda.password).decode()}
    for refused in (False, True):
        if refused:
            pohoda.faults.list_errors["listStoreRequest"] = (101, NO_RIGHTS_NOTE)
        reply = httpx.post(base_url + "/xml", content=body, headers=headers)
        assert reply.status_code == 200
        assert reply.headers["content-type"].lower() == "text/xml; charset=windows-1250"
        root = parse_document(reply.content)
        assert reply_schema.validate(etree.ElementTree(root)), reply_schema.error_log
        states = {item.get("id"): item.get("state") for item in root}
        assert states == {
            options.STORES: "error" if refused else "ok",
            options.SERIES: "ok",
            options.PAYMENTS: "ok",
        }
    assert root.find(f"rsp:responsePackItem/{q('lst:listStore')}", NS) is not None
