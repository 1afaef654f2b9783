"""The demo tenant's connections and link, made through the HTTP API as a merchant would make them.

Idempotent: a restarted demo finds what the first run made (by name) and leaves it be.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from spojka.demo.account import DEMO_EMAIL, DEMO_PASSWORD

SHOP_CONNECTION = "Demo e-shop (simulated Shoptet)"
BOOKS_CONNECTION = "Demo accounting (simulated POHODA)"
LINK_NAME = "Demo e-shop → POHODA (simulated)"
#: The demo moves fast: every flow on a one-minute schedule (the scheduler ticks once a minute).
DEMO_FLOWS: dict[str, Any] = {
    "orders": {"everyMinutes": 1, "reserveStock": True, "invoice": "on_paid"},
    "stock": {"everyMinutes": 1},
    "fulfilment": {"everyMinutes": 1},
}


class DemoApi:
    """An API client with the dashboard's cookie session and CSRF header."""

    def __init__(self, base_url: str) -> None:
        self.http = httpx.AsyncClient(base_url=base_url, timeout=30)

    async def aclose(self) -> None:
        await self.http.aclose()

    async def call(self, method: str, path: str, **kwargs: Any) -> Any:
        headers: dict[str, str] = {}
        if method != "GET":
            if "csrftoken" not in self.http.cookies:
                await self.http.get("/api/v1/auth/password-rules")
            headers["X-CSRFToken"] = self.http.cookies.get("csrftoken") or ""
        response = await self.http.request(method, path, headers=headers, **kwargs)
        if response.status_code >= 400:
            msg = f"{method} {path} answered {response.status_code}: {response.text[:300]}"
            raise RuntimeError(msg)
        return response.json() if response.content else None

    async def sign_in(self) -> None:
        await self.call("POST", "/api/v1/auth/login", json={"email": DEMO_EMAIL, "password": DEMO_PASSWORD})


async def wait_for_api(base_url: str, *, within: float = 180.0) -> None:
    """Until the API answers ``/health`` (it starts next to the demo world)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    async with httpx.AsyncClient(base_url=base_url, timeout=2) as http:
        while True:
            try:
                if (await http.get("/health")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if loop.time() > deadline:
                msg = f"the API at {base_url} did not answer within {within:.0f} s"
                raise RuntimeError(msg)
            await asyncio.sleep(0.5)


async def _connection(
    api: DemoApi, name: str, connector: str, settings: dict[str, Any], credentials: dict[str, str]
) -> str:
    existing = await api.call("GET", "/api/v1/connections", params={"limit": 100})
    for item in existing["items"]:
        if item["name"] == name:
            return str(item["id"])
    created = await api.call(
        "POST",
        "/api/v1/connections",
        json={"connector": connector, "name": name, "settings": settings, "credentials": credentials},
    )
    return str(created["id"])


async def prepare(
    api: DemoApi,
    *,
    shop: tuple[dict[str, Any], dict[str, str]],
    books: tuple[dict[str, Any], dict[str, str]],
) -> tuple[str, bool]:
    """Sign in as the demo owner; the link's id, and whether it was made just now."""
    await api.sign_in()
    shop_id = await _connection(api, SHOP_CONNECTION, "shoptet", *shop)
    books_id = await _connection(api, BOOKS_CONNECTION, "pohoda", *books)
    links = await api.call("GET", "/api/v1/links", params={"limit": 100})
    for item in links["items"]:
        if item["name"] == LINK_NAME:
            return str(item["id"]), False
    created = await api.call(
        "POST",
        "/api/v1/links",
        json={
            "name": LINK_NAME,
            "eshopConnectionId": shop_id,
            "accountingConnectionId": books_id,
            "flows": DEMO_FLOWS,
        },
    )
    link_id = str(created["id"])
    for flow in ("orders", "fulfilment"):
        await api.call("POST", f"/api/v1/links/{link_id}/runs", json={"flow": flow})
    return link_id, True
