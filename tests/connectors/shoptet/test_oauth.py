"""The add-on (OAuth) mode: install-code exchange, short-lived access tokens, renewal mid-run."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from spojka.connector import AuthExpiredError, ConfigError, ConnectionContext, FatalError
from spojka.connector.install import AddonApp, Installable, InstallRequest
from spojka_connectors.shoptet.oauth import STATE_KEY, exchange_code
from tests.connectors.shoptet.conftest import FAST, LockingState, Shop


async def _install(shop: Shop) -> str:
    code = shop.state.install_code()
    installed = await exchange_code(
        f"{shop.url}/action/ApiOAuthServer/token",
        client_id=shop.state.client_id,
        client_secret=shop.state.client_secret,
        code=code,
        redirect_uri="https://spojka.example/shoptet/install",
    )
    assert installed.eshop_id == shop.state.eshop_id
    return installed.oauth_token


def _context(shop: Shop, oauth_token: str, state: LockingState) -> ConnectionContext:
    settings = shop.settings(oauthServerUrl=f"{shop.url}/action/ApiOAuthServer")
    return ConnectionContext("addon-1", settings, {"oauthToken": oauth_token}, state)


async def test_the_install_code_must_be_exchanged_within_five_seconds(shop: Shop) -> None:
    code = shop.state.install_code()
    shop.state.clock_offset = timedelta(seconds=6)
    with pytest.raises(FatalError, match="install the add-on again"):
        await exchange_code(
            f"{shop.url}/action/ApiOAuthServer/token",
            client_id=shop.state.client_id,
            code=code,
            redirect_uri="https://spojka.example/shoptet/install",
        )


async def test_an_expired_access_token_is_renewed_mid_run_once_for_all_workers(shop: Shop) -> None:
    orders = [shop.state.add_order() for _ in range(3)]
    oauth_token = await _install(shop)
    state = LockingState()
    async with FAST.open(_context(shop, oauth_token, state)) as session:
        assert await session.get_order(orders[0].code) is not None
        assert shop.state.tokens_issued == 1
        first = await state.get(STATE_KEY)
        shop.state.expire_access_tokens()  # the 30 minutes are over, in the middle of the run

        # Several workers of the same connection need a token at the same moment.
        async def worker(code: str) -> bool:
            async with FAST.open(_context(shop, oauth_token, state)) as other:
                return await other.get_order(code) is not None

        results = await asyncio.gather(session.get_order(orders[1].code), *(worker(o.code) for o in orders))
    assert all(results)
    assert shop.state.tokens_issued == 2  # one renewal, shared by every worker
    assert await state.get(STATE_KEY) != first
    assert shop.state.oauth_token not in str(state.values)  # only the short-lived token is kept


async def test_the_check_works_in_add_on_mode(shop: Shop) -> None:
    oauth_token = await _install(shop)
    settings = shop.settings(oauthServerUrl=f"{shop.url}/action/ApiOAuthServer")
    result = await FAST.check(settings, {"oauthToken": oauth_token})
    assert result.ok, result.message
    refused = await FAST.check(settings, {"oauthToken": "not-the-token"})
    assert not refused.ok
    assert "install the add-on again" in refused.message


def test_access_tokens_last_thirty_minutes(shop: Shop) -> None:
    shop.state.oauth_token = "x"
    token = shop.state.issue_access_token()
    assert token is not None
    assert timedelta(minutes=29) < token.expires_at - datetime.now(UTC) <= timedelta(minutes=30)
    for _ in range(4):
        assert shop.state.issue_access_token() is not None
    assert shop.state.issue_access_token() is None  # at most five alive


INSTALL_URL = "https://spojka.example/api/v1/installs/shoptet"


def _app(shop: Shop, **changes: str) -> AddonApp:
    values = {
        "clientId": shop.state.client_id,
        "clientSecret": shop.state.client_secret,
        "oauthServerUrl": f"{shop.url}/action/ApiOAuthServer/",
        "apiUrl": shop.url,
    }
    return AddonApp({**values, **changes})


async def test_the_add_on_install_describes_the_shop_and_its_add_on_connection(shop: Shop) -> None:
    assert isinstance(FAST, Installable)
    shop.state.install_url = INSTALL_URL
    code = shop.state.install_code()
    installation = await FAST.install(InstallRequest({"code": code}, INSTALL_URL), _app(shop))
    assert installation.remote_id == str(shop.state.eshop_id)
    assert installation.name == "simulovany-obchod.myshoptet.com"
    assert installation.contact_email == shop.state.contact_email
    assert installation.credentials == {"oauthToken": shop.state.oauth_token}
    assert installation.settings == {
        "oauthServerUrl": f"{shop.url}/action/ApiOAuthServer",
        "apiUrl": shop.url,
    }
    assert shop.state.oauth_token not in repr(installation)
    # The connection it describes works.
    result = await FAST.check(installation.settings, installation.credentials)
    assert result.ok, result.message
    # The code was single-use.
    with pytest.raises(FatalError, match="install the add-on again"):
        await FAST.install(InstallRequest({"code": code}, INSTALL_URL), _app(shop))


async def test_an_install_is_refused_without_a_code_a_known_redirect_or_the_add_on_set_up(shop: Shop) -> None:
    shop.state.install_url = INSTALL_URL
    for query in ({}, {"code": ""}, {"code": "x" * 1001}):
        with pytest.raises(FatalError, match="no valid code"):
            await FAST.install(InstallRequest(query, INSTALL_URL), _app(shop))
    with pytest.raises(FatalError, match="install the add-on again"):
        await FAST.install(
            InstallRequest({"code": shop.state.install_code()}, "https://elsewhere.example/"), _app(shop)
        )
    with pytest.raises(ConfigError, match="clientId and clientSecret"):
        await FAST.install(
            InstallRequest({"code": shop.state.install_code()}, INSTALL_URL), _app(shop, clientSecret="wrong")
        )
    for missing in ("clientId", "oauthServerUrl"):
        with pytest.raises(ConfigError, match="not set up"):
            await FAST.install(
                InstallRequest({"code": shop.state.install_code()}, INSTALL_URL), _app(shop, **{missing: ""})
            )
    assert shop.state.oauth_token is None


async def test_an_uninstalled_add_on_says_to_install_it_again_mid_run(shop: Shop) -> None:
    order = shop.state.add_order()
    oauth_token = await _install(shop)
    state = LockingState()
    async with FAST.open(_context(shop, oauth_token, state)) as session:
        assert await session.get_order(order.code) is not None
        shop.state.uninstall()  # the merchant removes the add-on; its access token dies with it
        with pytest.raises(AuthExpiredError, match="install the add-on again"):
            await session.get_order(order.code)
