"""Helpers of the POHODA tests: a served simulator, its harness for the contract suite, XSD checks."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from datetime import datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from spojka.connector.model import Order, OrderLine, money
from spojka.connector.testing.contract import Harness
from spojka.connector.testing.factories import sellable_codes, totals_of
from spojka_connectors.pohoda.simulator import State
from spojka_connectors.pohoda.simulator.books import Books, OrderItem, ReceivedOrder
from spojka_connectors.pohoda.simulator.schemas import find_xsd_folder
from spojka_connectors.pohoda.xmlns import POHODA_TZ, RATE_PERCENT

XSD_FOLDER: Path | None = find_xsd_folder()
needs_xsds = pytest.mark.skipif(
    XSD_FOLDER is None, reason="the official POHODA XSDs (shared/reference/accounting/pohoda/xsd) are absent"
)


def reset(state: State) -> None:
    """The simulated POHODA back to its defaults (fresh company, no faults), in place."""
    fresh = State()
    for f in dataclasses.fields(State):
        if f.name != "received":  # the packs are collected across tests, see conftest
            setattr(state, f.name, getattr(fresh, f.name))


def settings_for(state: State, base_url: str, **extra: Any) -> dict[str, Any]:
    return {"url": base_url, "ico": state.ico, "application": "Spojka testy", **extra}


def credentials_of(state: State) -> dict[str, str]:
    return {"username": state.username, "password": state.password}


def order_back(books: Books, order: ReceivedOrder) -> Order:
    """A received order as POHODA keeps it, mapped back to the canonical model."""
    lines = tuple(_line_back(books, item, order) for item in order.items)
    created = datetime.combine(order.date, time(0), tzinfo=POHODA_TZ)
    return Order(
        source_id=order.number_order or str(order.id),
        number=order.number_order,
        created_at=created,
        currency=order.currency or "CZK",
        exchange_rate=order.rate or Decimal(1),
        lines=lines,
        totals=totals_of(lines),
        note=order.note,
    )


def _line_back(books: Books, item: OrderItem, order: ReceivedOrder) -> OrderLine:
    rate = RATE_PERCENT[item.rate_vat]
    price = (
        item.foreign_unit_price if order.currency and item.foreign_unit_price is not None else item.unit_price
    )
    gross = price if item.pay_vat else money(price * (100 + rate) / 100)
    net = money(gross * 100 / (100 + rate)) if item.pay_vat else price
    return OrderLine(
        kind="item" if item.card_id is not None else "shipping",
        code=item.code,
        name=item.text,
        quantity=item.quantity,
        unit=item.unit or "ks",
        unit_price_net=net,
        unit_price_gross=gross,
        vat_rate=rate,
        discount_percent=item.discount_percentage,
    )


class PohodaHarness(Harness):
    """Drives the simulated POHODA over its Python control API; the connector talks HTTP to it."""

    paging_records = 7
    missing_order_id = "999999"

    def __init__(self, state: State, base_url: str) -> None:
        reset(state)
        self.state = state
        self.base_url = base_url
        # The catalogue's stock cards exist, as they would after the products flow.
        for product in self.factory.catalogue:
            for item in product.variants or (product,):
                state.books.add_card(
                    item.code,
                    item.name,
                    count=Decimal(50),
                    purchasing_price=item.purchase_price,
                    unit=item.unit,
                )
        assert len(sellable_codes(self.factory.catalogue)) == len(state.books.cards)

    async def settings(self) -> Mapping[str, Any]:
        return settings_for(self.state, self.base_url, pageSize=3, batchSize=2)

    async def credentials(self) -> Mapping[str, str]:
        return credentials_of(self.state)

    async def bad_credentials(self) -> Mapping[str, str]:
        return {"username": self.state.username, "password": "not-the-password"}

    async def seed_stock(self, n: int) -> Sequence[str]:
        codes = [f"{self.factory.code_prefix}SEED-{len(self.state.books.cards) + i:05d}" for i in range(n)]
        for i, code in enumerate(codes):
            self.state.books.set_stock(
                code, Decimal(10 + i), purchasing_price=Decimal("12.50"), name=f"Zboží {code}"
            )
        return codes

    async def seed_fulfilments(self, n: int) -> Sequence[str]:
        books = self.state.books
        targets = []
        for order in self.factory.orders(n):
            stored = books.add_order(
                ReceivedOrder(
                    id=0,
                    number=books.next_number("OBP"),
                    series="OBP",
                    date=order.created_at.date(),
                    changed_at=books.tick(),
                    number_order=order.number,
                )
            )
            books.settle(stored.id, tracking_number=f"DR{stored.id:09d}CZ", carrier="PPL")
            targets.append(str(stored.id))
        return targets

    async def read_back_order(self, target_id: str) -> Order | None:
        stored = self.state.books.orders.get(int(target_id))
        return order_back(self.state.books, stored) if stored is not None else None


def compile_schema() -> etree.XMLSchema:
    """``data.xsd`` compiled here, independently of the simulator's copy."""
    assert XSD_FOLDER is not None
    return etree.XMLSchema(etree.parse(str(XSD_FOLDER / "data.xsd")))
