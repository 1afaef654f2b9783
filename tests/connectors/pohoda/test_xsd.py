"""Done-when: every data pack the connector produced in the test suite validates against the XSDs."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from lxml import etree

from spojka.connector import ConnectionContext
from spojka_connectors.pohoda import connector
from spojka_connectors.pohoda.simulator import State
from spojka_connectors.pohoda.xmlns import q
from tests.connectors.pohoda import conftest
from tests.connectors.pohoda.support import (
    PohodaHarness,
    compile_schema,
    credentials_of,
    needs_xsds,
    settings_for,
)


async def _every_kind_of_pack(state: State, base_url: str) -> None:
    """Make the connector send each kind of document once (so this file also stands alone)."""
    harness = PohodaHarness(state, base_url)
    context = ConnectionContext(
        connection_id="xsd", settings=settings_for(state, base_url), credentials=credentials_of(state)
    )
    now = datetime.now(UTC)
    async with connector.open(context) as session:
        first, second = harness.factory.order_write(), harness.factory.order_write()
        created = await session.create_orders([first, second])
        targets = [r.target_id for r in created]
        assert all(targets)
        await session.create_invoice(str(targets[0]), first)
        await session.delete_order(str(targets[1]))
        await session.upsert_products(harness.factory.products(2))
        _ = [page async for page in session.read_stock(None, until=now)]
        _ = [page async for page in session.read_fulfilments(None, until=now)]
        await session.read_options()


@needs_xsds
async def test_every_data_pack_sent_in_the_suite_validates(pohoda: State, base_url: str) -> None:
    await _every_kind_of_pack(pohoda, base_url)
    packs = [*conftest.COLLECTED, *(p.body for p in pohoda.received)]
    schema = compile_schema()
    kinds: Counter[str] = Counter()
    for body in packs:
        document = etree.ElementTree(etree.fromstring(body))
        assert schema.validate(document), f"{schema.error_log.last_error}\n{body.decode('cp1250')[:2000]}"
        for item in document.getroot():
            agenda = item[0]
            action = agenda.find(q("ord:actionType"))
            kinds[etree.QName(agenda).localname + ("/delete" if action is not None else "")] += 1
    expected = {
        "order",
        "order/delete",
        "invoice",
        "stock",
        "listStockRequest",
        "listOrderRequest",
        "listInvoiceRequest",
        "listStoreRequest",
        "listNumericalSeriesRequest",
        "listPaymentRequest",
    }
    assert expected <= set(kinds), kinds
