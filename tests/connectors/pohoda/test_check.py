"""The POHODA connector's self-description and connection check, against its mServer simulator over HTTP."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from importlib.metadata import EntryPoint
from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator

from spojka.connector import Connector, secret_fields
from spojka.connector.registry import Registry
from spojka_connectors.pohoda import SPEC, connector
from spojka_connectors.pohoda.check import ico_from_database_name
from spojka_connectors.pohoda.client import basic_authorization, parse_status, parse_xml
from spojka_connectors.pohoda.simulator import DEFAULT_PASSWORD, DEFAULT_USERNAME, State
from tests.support.servers import refused_port, serving


@pytest.fixture
def closed_port() -> Iterator[int]:
    with refused_port() as port:
        yield port


def canned(status: int, body: bytes, content_type: str) -> Any:
    """A tiny ASGI server that answers every request the same way: a remote in a given mood."""

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        headers = [(b"content-type", content_type.encode())]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    return app


def settings_for(url: str, ico: str = "12345678") -> dict[str, Any]:
    return {"url": url, "ico": ico, "application": "Spojka"}


def credentials(username: str = DEFAULT_USERNAME, password: str = DEFAULT_PASSWORD) -> dict[str, str]:
    return {"username": username, "password": password}


# --- the self-description -------------------------------------------------------------------------


def test_entry_point_line_loads_the_connector() -> None:
    """The line the lead adds under [project.entry-points."spojka.connectors"] in pyproject.toml."""
    entry_point = EntryPoint(
        name="pohoda", value="spojka_connectors.pohoda:connector", group="spojka.connectors"
    )
    assert entry_point.load() is connector
    assert connector.spec.key == entry_point.name


def test_connector_object_is_what_the_registry_loads() -> None:
    assert isinstance(connector, Connector)
    registry = Registry()
    registry.register(connector)
    entry = registry.get("pohoda")
    assert entry is not None
    assert entry.available
    assert SPEC.kind == "accounting"
    assert SPEC.auth_mode == "basic"
    assert set(SPEC.capabilities) == {
        "orders.write",
        "orders.delete",
        "invoices.write",
        "stock.reserve",
        "products.write",
        "stock.read",
        "fulfilment.read",
        "options.read",
    }
    assert secret_fields(SPEC) == ("username", "password")
    assert SPEC.rate_limits.max_concurrency == 1


def test_schemas_are_valid_json_schema() -> None:
    Draft202012Validator.check_schema(SPEC.settings_schema)
    Draft202012Validator.check_schema(SPEC.credentials_schema)
    for schema in (SPEC.settings_schema, SPEC.credentials_schema):
        assert schema["additionalProperties"] is False
        for prop in schema["properties"].values():
            assert prop["title"]
            assert prop["description"]


@pytest.mark.parametrize(
    "settings",
    [
        {"url": "https://pohoda.example.cz:444", "ico": "12345678"},
        {"url": "http://192.168.1.10:10010", "ico": "00012345", "application": "Spojka pro e-shop Čápa"},
    ],
)
def test_sensible_settings_validate(settings: dict[str, Any]) -> None:
    Draft202012Validator(SPEC.settings_schema).validate(settings)


@pytest.mark.parametrize(
    "settings",
    [
        {"url": "https://pohoda.example.cz:444"},
        {"url": "pohoda.example.cz:444", "ico": "12345678"},
        {"url": "https://pohoda.example.cz", "ico": "1234567"},
        {"url": "https://pohoda.example.cz", "ico": 12345678},
        {"url": "https://pohoda.example.cz", "ico": "12345678", "application": ""},
        {"url": "https://pohoda.example.cz", "ico": "12345678", "year": 2025},
    ],
)
def test_wrong_settings_do_not_validate(settings: dict[str, Any]) -> None:
    assert not Draft202012Validator(SPEC.settings_schema).is_valid(settings)


def test_credentials_schema() -> None:
    validator = Draft202012Validator(SPEC.credentials_schema)
    assert validator.is_valid(credentials())
    assert not validator.is_valid({"username": "Admin"})
    assert not validator.is_valid({"password": "x"})


# --- the check ------------------------------------------------------------------------------------


async def test_good_credentials_name_the_company_and_year(pohoda: State, base_url: str) -> None:
    result = await connector.check(settings_for(base_url), credentials())
    assert result.ok, result.message
    assert pohoda.company in result.message
    assert f"accounting year {pohoda.year}" in result.message
    assert f"StwPh_12345678_{pohoda.year} carries the IČO 12345678" in result.message
    assert result.details["icoMatches"] is True
    assert result.details["databaseName"] == f"StwPh_12345678_{pohoda.year}"
    assert DEFAULT_PASSWORD not in result.message + json.dumps(result.details)


async def test_wrong_password(pohoda: State, base_url: str) -> None:
    result = await connector.check(settings_for(base_url), credentials(password="špatné-heslo"))
    assert not result.ok
    assert "user name or password" in result.message
    assert "špatné-heslo" not in result.message
    assert DEFAULT_USERNAME not in result.message
    assert result.details["status"] == 401


async def test_unknown_user(pohoda: State, base_url: str) -> None:
    result = await connector.check(settings_for(base_url), credentials(username="Nikdo"))
    assert not result.ok
    assert "user name or password" in result.message
    assert "Nikdo" not in result.message


async def test_user_may_not_open_the_company(pohoda: State, base_url: str) -> None:
    pohoda.user_may_open_company = False
    result = await connector.check(settings_for(base_url), credentials())
    assert not result.ok
    assert "may not open the company" in result.message


async def test_czech_credentials_and_names_travel_in_windows_1250(pohoda: State, base_url: str) -> None:
    pohoda.username = "Účetní"
    pohoda.password = "žluťoučký kůň"
    pohoda.company = "Pekárna U Čápa s.r.o."
    result = await connector.check(settings_for(base_url), credentials("Účetní", "žluťoučký kůň"))
    assert result.ok, result.message
    assert "Pekárna U Čápa s.r.o." in result.message


async def test_ico_mismatch(pohoda: State, base_url: str) -> None:
    result = await connector.check(settings_for(base_url, ico="87654321"), credentials())
    assert not result.ok
    assert "belongs to IČO 12345678, not 87654321" in result.message
    assert result.details["icoMatches"] is False


async def test_ico_that_cannot_be_compared(pohoda: State, base_url: str) -> None:
    pohoda.database_name = "Ucetnictvi2025"
    result = await connector.check(settings_for(base_url), credentials())
    assert result.ok, result.message
    assert "could not be compared" in result.message
    assert result.details["icoMatches"] is None


async def test_busy_mserver_still_connects(pohoda: State, base_url: str) -> None:
    pohoda.processing = 2
    result = await connector.check(settings_for(base_url), credentials())
    assert result.ok, result.message
    assert "busy" in result.message
    assert result.details["state"] == "busy"


async def test_unavailable_mserver(pohoda: State, base_url: str) -> None:
    pohoda.available = False
    result = await connector.check(settings_for(base_url), credentials())
    assert not result.ok
    assert "busy or not available" in result.message
    assert "try again later" in result.message.lower()


async def test_unreachable_port(closed_port: int) -> None:
    url = f"http://127.0.0.1:{closed_port}"
    result = await connector.check(settings_for(url), credentials())
    assert not result.ok
    assert "cannot reach" in result.message.lower()
    assert url in result.message
    assert DEFAULT_PASSWORD not in result.message


async def test_address_that_is_not_an_mserver(pohoda: State, base_url: str) -> None:
    result = await connector.check(settings_for(base_url + "/elsewhere"), credentials())
    assert not result.ok
    assert "not answer like a POHODA mServer" in result.message


@pytest.mark.parametrize(
    ("status", "body", "content_type", "expected"),
    [
        (200, b"<html><body>P\xf8ihl\xe1\x9aen\xed</body></html>", "text/html", "not like a POHODA mServer"),
        (500, f"Chyba: {DEFAULT_PASSWORD}".encode("cp1250"), "text/plain", "HTTP 500: Chyba: [hidden]"),
    ],
)
async def test_other_answers_are_told_in_plain_words(
    status: int, body: bytes, content_type: str, expected: str
) -> None:
    with serving(canned(status, body, content_type)) as url:
        result = await connector.check(settings_for(url), credentials())
    assert not result.ok
    assert expected in result.message
    assert DEFAULT_PASSWORD not in result.message


async def test_missing_credentials_and_bad_settings_need_no_network() -> None:
    assert not (await connector.check(settings_for("https://pohoda.example.cz"), {})).ok
    result = await connector.check({"url": "https://pohoda.example.cz", "ico": "123"}, credentials())
    assert not result.ok
    assert "8 digits" in result.message


def test_ico_from_database_name() -> None:
    assert ico_from_database_name("StwPh_12345678_2025") == "12345678"
    assert ico_from_database_name("stwph_00012345_2024") == "00012345"
    assert ico_from_database_name("Ucetnictvi2025") is None


def test_authorization_header_is_windows_1250_basic() -> None:
    assert basic_authorization("Admin", "heslo") == b"Basic QWRtaW46aGVzbG8="
    # "Účetní:kůň" in Windows-1250 is 10 bytes; in UTF-8 it would be 14.
    encoded = base64.b64encode("Účetní:kůň".encode("cp1250"))
    assert basic_authorization("Účetní", "kůň") == b"Basic " + encoded


# --- the simulator speaks the mServer's protocol ----------------------------------------------------


def test_plain_status_needs_no_credentials_and_is_windows_1250(pohoda: State, base_url: str) -> None:
    pohoda.mserver_name = "Účetnictví"
    response = httpx.get(base_url + "/status")
    assert response.status_code == 200
    assert response.content.startswith(b'<?xml version="1.0" encoding="Windows-1250"?>')
    assert response.headers["content-type"] == "text/xml; charset=Windows-1250"
    assert "Účetnictví".encode("cp1250") in response.content
    status = parse_status(parse_xml(response.content, response.headers.get("content-type")))
    assert status is not None
    assert status.message == "Response from POHODA mServer"
    assert status.name == "Účetnictví"
    assert status.status == "idle"
    assert status.processing == 0
    assert status.company_detail is None


def test_company_detail_needs_credentials(pohoda: State, base_url: str) -> None:
    assert httpx.get(base_url + "/status?companyDetail").status_code == 401
    header = {"STW-Authorization": basic_authorization(DEFAULT_USERNAME, DEFAULT_PASSWORD).decode()}
    response = httpx.get(base_url + "/status?companyDetail", headers=header)
    assert response.status_code == 200
    status = parse_status(parse_xml(response.content))
    assert status is not None
    assert status.company_detail is not None
    assert status.company_detail.company == pohoda.company


def test_status_without_declaration_falls_back_to_windows_1250() -> None:
    body = "<mServer><name>Účetní</name><status>idle</status></mServer>".encode("cp1250")
    status = parse_status(parse_xml(body, "text/xml"))
    assert status is not None
    assert status.name == "Účetní"


def test_documents_with_a_dtd_are_refused() -> None:
    body = b'<?xml version="1.0"?><!DOCTYPE mServer [<!ENTITY x "y">]><mServer><name>&x;</name></mServer>'
    assert parse_xml(body) is None
