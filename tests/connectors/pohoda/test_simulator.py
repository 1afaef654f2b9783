"""The simulated mServer speaks POHODA's protocol: headers, encodings, refusals, one request at a time."""

from __future__ import annotations

import asyncio
import time
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from lxml import etree

from spojka.connector.simulation import serving
from spojka_connectors.pohoda import connector
from spojka_connectors.pohoda.client import basic_authorization
from spojka_connectors.pohoda.simulator import State, build_app, simulator
from spojka_connectors.pohoda.simulator.schemas import Schemas
from spojka_connectors.pohoda.xmlns import NS
from tests.connectors.pohoda.support import XSD_FOLDER, needs_xsds

EXAMPLES = XSD_FOLDER.parent / "examples" if XSD_FOLDER is not None else None


@pytest.fixture(autouse=True)
def tshirt(pohoda: State) -> None:
    """The stock card the reference example orders."""
    pohoda.books.add_card("TRI-MOD-M", "Tričko modré M", count=Decimal(10))


def _auth(state: State) -> dict[str, str]:
    return {"STW-Authorization": basic_authorization(state.username, state.password).decode()}


def _example(name: str) -> bytes:
    if EXAMPLES is None:
        pytest.skip("the POHODA examples (shared/reference/accounting/pohoda/examples) are absent")
    return (EXAMPLES / name).read_bytes()


def _order_pack(pack_id: str = "pack-1", ext_id: str = "2025000123") -> bytes:
    body = _example("01_order_receivedOrder_create_request.xml")
    return body.replace(b'id="shop-orders-20250101-0001"', f'id="{pack_id}"'.encode()).replace(
        b"<typ:ids>2025000123</typ:ids>", f"<typ:ids>{ext_id}</typ:ids>".encode()
    )


def _root(response: httpx.Response) -> etree._Element:
    return etree.fromstring(response.content)


def test_xml_needs_post_and_credentials(pohoda: State, base_url: str) -> None:
    assert httpx.get(base_url + "/xml").status_code == 405
    assert httpx.post(base_url + "/xml", content=b"<x/>").status_code == 401
    wrong = {"STW-Authorization": basic_authorization(pohoda.username, "nope").decode()}
    assert httpx.post(base_url + "/xml", content=b"<x/>", headers=wrong).status_code == 401
    pohoda.user_may_open_company = False
    assert httpx.post(base_url + "/xml", content=b"<x/>", headers=_auth(pohoda)).status_code == 403


def test_not_xml_is_a_bad_request(pohoda: State, base_url: str) -> None:
    response = httpx.post(base_url + "/xml", content=b"<dat:dataPack", headers=_auth(pohoda))
    pohoda.received.clear()  # malformed on purpose: not one of the connector's packs
    assert response.status_code == 400


@needs_xsds
def test_a_pack_that_breaks_the_xsd_is_refused_whole(pohoda: State, base_url: str) -> None:
    body = _order_pack().replace(
        b"<ord:orderType>receivedOrder</ord:orderType>", b"<ord:orderType>x</ord:orderType>"
    )
    response = httpx.post(base_url + "/xml", content=body, headers=_auth(pohoda))
    pohoda.received.clear()
    assert response.status_code == 200
    root = _root(response)
    assert root.get("state") == "error"
    assert "XSD" in root.get("note", "")
    assert pohoda.books.orders == {}


@needs_xsds
def test_replies_are_windows_1250_and_valid(pohoda: State, base_url: str) -> None:
    response = httpx.post(base_url + "/xml", content=_order_pack(), headers=_auth(pohoda))
    assert response.headers["content-type"] == "text/xml; charset=Windows-1250"
    assert response.content.startswith(b'<?xml version="1.0" encoding="Windows-1250"?>')
    assert XSD_FOLDER is not None
    schema = etree.XMLSchema(etree.parse(str(XSD_FOLDER / "response.xsd")))
    root = _root(response)
    assert schema.validate(etree.ElementTree(root)), schema.error_log.last_error
    assert root.get("id") == "pack-1"
    item = root.find("rsp:responsePackItem", NS)
    assert item is not None
    assert item.get("id") == "ORD-2025-000123"
    assert (
        item.findtext("ord:orderResponse/rdc:producedDetails/rdc:number", namespaces=NS)
        == f"OBP{pohoda.books.year % 100:02d}0001"
    )
    listing = httpx.post(
        base_url + "/xml", content=_example("07_list_order_request.xml"), headers=_auth(pohoda)
    )
    assert schema.validate(etree.ElementTree(_root(listing))), schema.error_log.last_error
    assert "Objednávka z e-shopu".encode("cp1250") in listing.content


@needs_xsds
def test_the_same_ext_id_and_the_same_batch_are_not_imported_twice(pohoda: State, base_url: str) -> None:
    httpx.post(base_url + "/xml", content=_order_pack(), headers=_auth(pohoda))
    again = _root(httpx.post(base_url + "/xml", content=_order_pack("pack-2"), headers=_auth(pohoda)))
    assert (
        again.findtext(
            "rsp:responsePackItem/ord:orderResponse/rdc:importDetails/rdc:detail/rdc:errno", namespaces=NS
        )
        == "116"
    )
    headers = {**_auth(pohoda), "STW-Check-Duplicity": "true"}
    repeat = _root(httpx.post(base_url + "/xml", content=_order_pack(), headers=headers))
    item = repeat.find("rsp:responsePackItem", NS)
    assert item is not None
    assert item.get("state") == "error"
    assert item.findtext("rsp:errorDetail/rsp:recordDuplicity/rsp:id", namespaces=NS) == "1"
    assert len(pohoda.books.orders) == 1


@needs_xsds
async def test_requests_are_processed_one_at_a_time(pohoda: State, base_url: str) -> None:
    pohoda.faults.latency_per_document = 0.3
    async with httpx.AsyncClient(base_url=base_url, headers=_auth(pohoda)) as client:
        started = time.perf_counter()
        first = asyncio.create_task(client.post("/xml", content=_order_pack("a", "1")))
        second = asyncio.create_task(client.post("/xml", content=_order_pack("b", "2")))
        await asyncio.sleep(0.1)
        status = await client.get("/status")
        await asyncio.gather(first, second)
        elapsed = time.perf_counter() - started
    assert b"<status>busy</status>" in status.content
    assert b"<processing>2</processing>" in status.content
    assert elapsed >= 0.6
    assert len(pohoda.books.orders) == 2


@needs_xsds
def test_the_control_api(pohoda: State, base_url: str) -> None:
    control = base_url + "/_simulator"
    httpx.post(base_url + "/xml", content=_order_pack(), headers=_auth(pohoda))
    state = httpx.get(control + "/state").json()
    assert state["validating"] is True
    assert state["receivedOrders"] == 1
    card = httpx.put(control + "/stock/TRI-MOD-M", json={"count": "7", "purchasePrice": "150"}).json()
    assert card["count"] == "7"
    settled = httpx.post(control + "/orders/1/settle", json={"trackingNumber": "Z1"}).json()
    assert settled["isExecuted"] is True
    assert pohoda.books.orders[1].parameters == {"VPrSledovani": "Z1"}
    assert httpx.post(control + "/orders/99/settle", json={}).status_code == 404
    faults = httpx.put(
        control + "/faults",
        json={
            "packError": "no_rights",
            "latencyPerDocument": 0.01,
            "recordErrors": {"K": {"errno": 101, "note": "x"}},
        },
    ).json()
    assert faults["pack_error"] == "no_rights"
    refused = _root(httpx.post(base_url + "/xml", content=_order_pack("p3", "3"), headers=_auth(pohoda)))
    assert refused.get("state") == "error"
    assert refused.get("note") == "Uživatel není oprávněn importovat XML soubory."
    assert httpx.delete(control + "/faults").status_code == 204
    assert pohoda.faults.pack_error is None


def test_without_the_xsds_it_still_answers_and_says_so(tmp_path: Path) -> None:
    state = State()
    schemas = Schemas(folder=None, request=None, response=None)
    assert "NOT validated" in schemas.note
    with serving(build_app(state, schemas)) as url:
        assert httpx.get(url + "/_simulator/state").json()["validating"] is False
        body = (
            b'<dat:dataPack xmlns:dat="http://www.stormware.cz/schema/version_2/data.xsd" id="x" '
            b'ico="12345678" application="t" version="2.0" note="n"/>'
        )
        response = httpx.post(url + "/xml", content=body, headers=_auth(state))
    assert response.status_code == 200
    assert etree.fromstring(response.content).get("state") == "ok"


async def test_the_entry_point_simulation_connects() -> None:
    simulation = simulator(seed=3)
    with serving(simulation.app) as url:
        settings, credentials = simulation.connection(url)
        result = await connector.check(settings, credentials)
        announcement = simulation.announcement(url)
    assert result.ok, result.message
    assert announcement["stockCards"] == 5
    assert announcement["control"] == "/_simulator"
    assert announcement["credentials"]["password"] == credentials["password"]
