"""Installing Spojka as a Shoptet add-on, as a merchant does it: Shoptet (its simulator) calls the
install URL with a code over real HTTP; Spojka exchanges it within the 5 seconds, makes the company
and its connection, and e-mails the shop's contact an invitation. A re-install renews the token in
place; a bad or slow install changes nothing."""

from __future__ import annotations

import asyncio
import json
import re
import secrets
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
from spojka_connectors.shoptet.simulator import seed_shop
from tests.conftest import DatabaseUnderTest
from tests.integration.conftest import make_settings
from tests.support.api import PASSWORD, ApiUser
from tests.support.mail import Inbox, smtp_server
from tests.support.platform import drain, served_app

Shop = tuple[ShoptetState, str]


@pytest.fixture
def shop() -> Iterator[Shop]:
    # Each test's e-shop is another one: installs are remembered by Shoptet's e-shop id.
    state = ShoptetState(eshop_id=secrets.randbelow(10**9))
    seed_shop(state, 3, orders=2)
    with serving(build_shoptet(state)) as url:
        yield state, url


@pytest.fixture
def books(shop: Shop) -> Iterator[tuple[PohodaState, str]]:
    state = PohodaState()
    for product in shop[0].products.values():
        for variant in product.variants:
            state.books.add_card(variant.code, product.name, count=Decimal(10), selling_price=variant.price)
    with serving(build_pohoda(state, load_schemas())) as url:
        yield state, url


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    with smtp_server() as server:
        yield server


@pytest.fixture
async def platform(
    test_database: DatabaseUnderTest, redis_url: str, tmp_path: Path, shop: Shop, inbox: tuple[Inbox, int]
) -> AsyncIterator[tuple[Litestar, Settings]]:
    state, shop_url = shop
    # The operator's registration of Spojka as an add-on in the (simulated) partner e-shop.
    apps = {
        "shoptet": {
            "clientId": state.client_id,
            "clientSecret": state.client_secret,
            "oauthServerUrl": f"{shop_url}/action/ApiOAuthServer",
            "apiUrl": shop_url,
        }
    }
    settings = make_settings(
        test_database,
        tmp_path,
        connector_apps=json.dumps(apps),
        smtp_host="127.0.0.1",
        smtp_port=inbox[1],
        smtp_starttls="no",
        job_timeout_seconds=120,
    )
    async with served_app(settings, Registry.from_entry_points(), redis_url) as served:
        yield served


async def _install(shop: Shop, settings: Settings) -> dict[str, Any]:
    """The merchant installs the add-on: Shoptet calls Spojka's install URL with a code."""
    async with httpx.AsyncClient(timeout=15) as client:
        response = await client.post(
            f"{shop[1]}/_sim/install",
            json={"installUrl": f"{settings.public_url}/api/v1/installs/shoptet"},
        )
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def _run(user: ApiUser, link_id: str, settings: Settings, redis_url: str) -> dict[str, Any]:
    response = await user.post(f"/api/v1/links/{link_id}/runs", json={"flow": "orders"})
    assert response.status_code == 202, response.text
    await drain(settings, redis_url, Registry.from_entry_points())
    run: dict[str, Any] = (await user.get(f"/api/v1/runs/{response.json()['id']}")).json()
    return run


async def test_the_add_on_install_makes_the_company_connects_the_shop_and_invites_its_contact(
    platform: tuple[Litestar, Settings],
    redis_url: str,
    shop: Shop,
    books: tuple[PohodaState, str],
    inbox: tuple[Inbox, int],
) -> None:
    _, settings = platform
    state, _ = shop
    box, _ = inbox
    installed = await _install(shop, settings)
    assert installed["installed"], installed
    assert installed["seconds"] < 5
    assert json.loads(installed["answer"]) == {"status": "installed"}

    # The shop's contact gets an invitation to the company made for the e-shop.
    assert len(await box.wait_for(1)) == 1
    mail = box.messages[0]
    assert mail["To"] == state.contact_email
    assert "simulovany-obchod.myshoptet.com" in mail["Subject"]
    body = mail.get_content()
    found = re.search(r"/invite#(\S+)", body)
    assert found is not None, body
    owner = ApiUser(httpx.AsyncClient(base_url=settings.public_url))
    accepted = await owner.post("/api/v1/invitations/accept", json={"token": found[1], "password": PASSWORD})
    assert accepted.status_code == 201, accepted.text
    me = (await owner.get("/api/v1/me")).json()
    assert me["tenant"]["name"] == "simulovany-obchod.myshoptet.com"
    assert me["tenant"]["role"] == "owner"

    # The e-shop is connected in add-on mode; the OAuth token is sealed, never shown.
    listed = await owner.get("/api/v1/connections")
    assert state.oauth_token is not None
    assert state.oauth_token not in listed.text
    [eshop] = listed.json()["items"]
    assert eshop["connector"] == "shoptet"
    assert eshop["credentials"] == {"apiToken": "unset", "oauthToken": "set"}
    assert eshop["settings"]["oauthServerUrl"].endswith("/action/ApiOAuthServer")
    # Spojka tries the new connection right after the install: the dashboard shows that it works.
    for _ in range(100):
        checked = (await owner.get(f"/api/v1/connections/{eshop['id']}")).json()["lastCheck"]
        if checked is not None:
            break
        await asyncio.sleep(0.1)
    assert checked is not None
    assert checked["ok"], checked
    audit = (await owner.get("/api/v1/audit")).json()["items"]
    assert {"addon.installed", "connection.created", "member.invited"} <= {a["action"] for a in audit}
    assert {a["actorLabel"] for a in audit if a["action"] == "addon.installed"} == {
        "Shoptet add-on installation"
    }

    # The merchant connects the accounting and the orders flow through the add-on's access tokens.
    books_state, books_url = books
    accounting = await owner.create_connection(
        "pohoda",
        settings={"url": books_url, "ico": books_state.ico, "store": "ZBOŽÍ"},
        credentials={"username": books_state.username, "password": books_state.password},
    )
    link = await owner.post(
        "/api/v1/links",
        json={
            "name": "Shoptet → POHODA",
            "eshopConnectionId": eshop["id"],
            "accountingConnectionId": accounting["id"],
            "flows": {"stock": {"afterOrders": False}},
        },
    )
    assert link.status_code == 201, link.text
    link_id = link.json()["id"]
    run = await _run(owner, link_id, settings, redis_url)
    assert run["status"] == "succeeded", run
    assert run["counts"]["created"] == len(state.orders) == 2
    # Webhooks are registered with the add-on's access token too, and the dashboard says so.
    registered = (await owner.get(f"/api/v1/connections/{eshop['id']}")).json()["webhooks"]
    assert registered["ok"], registered
    assert {w.url for w in state.webhooks.values()} == {eshop["webhookUrl"]}
    assert {w.event for w in state.webhooks.values()} == {"order:create", "order:update", "order:paid"}

    # Installing again (Shoptet grants a new token, the old one dies) renews the same connection.
    old_token = state.oauth_token
    again = await _install(shop, settings)
    assert again["installed"], again
    assert json.loads(again["answer"]) == {"status": "reinstalled"}
    assert state.oauth_token != old_token
    assert len(await box.wait_for(2, seconds=1)) == 1  # the owner has joined: nobody is invited again
    [same] = (await owner.get("/api/v1/connections")).json()["items"][:1]
    assert same["id"] == eshop["id"]
    assert len((await owner.get("/api/v1/connections")).json()["items"]) == 2
    state.add_order()
    run = await _run(owner, link_id, settings, redis_url)
    assert run["status"] == "succeeded", run
    assert run["counts"]["created"] == 1

    # Removed from the e-shop, the add-on's runs fail with what to do about it.
    await httpx.AsyncClient().post(f"{shop[1]}/_sim/uninstall")
    state.add_order()
    run = await _run(owner, link_id, settings, redis_url)
    assert run["status"] == "failed", run
    assert "install the add-on again" in run["error"]

    # The merchant deleted the connection meanwhile: the next install brings it back to the company.
    assert (await owner.delete(f"/api/v1/links/{link_id}")).status_code == 204
    assert (await owner.delete(f"/api/v1/connections/{eshop['id']}")).status_code == 204
    assert json.loads((await _install(shop, settings))["answer"]) == {"status": "reinstalled"}
    connectors = sorted(c["connector"] for c in (await owner.get("/api/v1/connections")).json()["items"])
    assert connectors == ["pohoda", "shoptet"]
    await owner.client.aclose()


async def test_a_bad_slow_or_unknown_install_changes_nothing(
    platform: tuple[Litestar, Settings], shop: Shop, inbox: tuple[Inbox, int]
) -> None:
    _, settings = platform
    state, _ = shop
    box, _ = inbox
    async with httpx.AsyncClient(base_url=settings.public_url) as client:
        for query in ({"code": "not-a-code"}, {}, {"code": "x" * 2000}):
            refused = await client.get("/api/v1/installs/shoptet", params=query)
            assert refused.status_code == 400, refused.text
            assert refused.headers["content-type"].startswith("application/problem+json")
            assert "install the add-on" in refused.json()["detail"]
        # POHODA has no add-on store, and there is no such connector at all.
        for connector in ("pohoda", f"nothing-{uuid.uuid4().hex[:6]}"):
            assert (
                await client.get(f"/api/v1/installs/{connector}", params={"code": "c"})
            ).status_code == 404

    # The partner e-shop's OAuth server is too slow: Spojka gives up in time, Shoptet fails the
    # install, and nothing is left behind.
    state.oauth_delay = 3.5
    slow = await _install(shop, settings)
    assert not slow["installed"]
    assert slow["status"] == 503
    assert slow["seconds"] < 5
    assert state.oauth_token is None

    # A code used late (after Shoptet's 5 seconds) is refused just the same.
    state.oauth_delay = 0.0
    code = state.install_code()
    state.install_codes[code] -= state.code_window * 2
    async with httpx.AsyncClient(base_url=settings.public_url) as client:
        late = await client.get("/api/v1/installs/shoptet", params={"code": code})
    assert late.status_code == 400, late.text
    assert box.messages == []

    # Nothing was recorded: the first install that works is a first install.
    first = await _install(shop, settings)
    assert json.loads(first["answer"]) == {"status": "installed"}
    assert len(await box.wait_for(1)) == 1
    # The invitation went astray and nobody joined: installing again invites the contact anew.
    again = await _install(shop, settings)
    assert json.loads(again["answer"]) == {"status": "reinstalled"}
    assert len(await box.wait_for(2)) == 2
    assert box.messages[1]["To"] == state.contact_email
