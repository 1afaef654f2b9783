"""The simulator's own promises: the entry point's seeded e-shop, and the HTTP control API."""

from __future__ import annotations

import httpx

from spojka.connector.simulation import Simulation
from spojka_connectors.shoptet.simulator import CONTROL_PREFIX, simulator
from tests.connectors.shoptet.conftest import FAST, Shop, Switch


async def test_the_entry_point_gives_a_seeded_shop_that_a_connection_opens(
    switch: tuple[Switch, str],
) -> None:
    front, url = switch
    simulation = simulator(7)
    assert isinstance(simulation, Simulation)
    front.app = simulation.app
    settings, credentials = simulation.connection(url)
    announcement = simulation.announcement(url)
    assert announcement["control"] == CONTROL_PREFIX
    assert len(announcement["orders"]) == 3
    # The simulator runs with Shoptet's limits on; a check is a handful of requests.
    result = await FAST.check(settings, credentials)
    assert result.ok, result.message
    assert simulator(7).about["codes"] == announcement["codes"]
    # How to register Spojka as an add-on of this simulated e-shop, and the add-on mode it gives.
    app = announcement["addonApp"]
    assert app["oauthServerUrl"] == f"{url}/action/ApiOAuthServer"
    async with httpx.AsyncClient(base_url=url) as client:
        code = (await client.post(f"{CONTROL_PREFIX}/install")).json()["code"]
        body = {"client_id": app["clientId"], "client_secret": app["clientSecret"], "code": code}
        granted = await client.post(
            "/action/ApiOAuthServer/token", json={**body, "grant_type": "authorization_code"}
        )
    assert granted.status_code == 200, granted.text
    addon = await FAST.check(
        {**settings, "oauthServerUrl": app["oauthServerUrl"]}, {"oauthToken": granted.json()["access_token"]}
    )
    assert addon.ok, addon.message


async def test_the_control_api_places_and_changes_orders_and_injects_faults(shop: Shop) -> None:
    state = shop.state
    headers = {"Shoptet-Private-API-Token": state.token}
    async with httpx.AsyncClient(base_url=shop.url) as client:
        code = next(iter(state._by_code))
        placed = await client.post(f"{CONTROL_PREFIX}/orders", json={"lines": [{"code": code, "amount": 2}]})
        assert placed.status_code == 201
        order = placed.json()["code"]
        changed = await client.patch(f"{CONTROL_PREFIX}/orders/{order}", json={"statusId": -2, "paid": True})
        assert changed.status_code == 200
        assert (state.orders[order].status_id, state.orders[order].paid) == (-2, True)
        stock = await client.put(f"{CONTROL_PREFIX}/stock/{code}", json={"realStock": 42})
        assert stock.status_code == 200
        assert (
            await client.post(f"{CONTROL_PREFIX}/faults", json={"kind": "status", "status": 503})
        ).status_code == 201
        assert (await client.get("/api/eshop", headers=headers)).status_code == 503
        assert (await client.get("/api/eshop", headers=headers)).status_code == 200
        limits = await client.post(f"{CONTROL_PREFIX}/limits", json={"enabled": True, "bucketLevel": 200})
        assert limits.json()["enabled"] is True
        refused = await client.get("/api/eshop", headers=headers)
        assert refused.status_code == 429
        assert "retry-after" in refused.headers
        summary = (await client.get(f"{CONTROL_PREFIX}/state")).json()
    found = state.variant(code)
    assert found is not None
    assert found[1].stock == 42
    assert summary["orders"] == 1
