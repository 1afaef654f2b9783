"""A partner for tests: made as ``spojka partners create`` makes it, then driven over HTTP only."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
from litestar import Litestar

from spojka.db import Database
from spojka.partners.services import ALL_SCOPES, create_partner


class ApiPartner:
    """A partner's OAuth2 client: fetches tokens and calls the API with them."""

    def __init__(self, client: httpx.AsyncClient, partner_id: str, client_id: str, secret: str) -> None:
        self.client = client
        self.partner_id = partner_id
        self.client_id = client_id
        self.secret = secret
        self.access_token = ""
        #: Ids of this partner's own objects, by path parameter name (for route walks).
        self.extra_ids: dict[str, list[str]] = {}

    async def token_response(self, scope: str | None = None, **form: str) -> httpx.Response:
        data = {"grant_type": "client_credentials", **({"scope": scope} if scope else {}), **form}
        return await self.client.post("/oauth/token", data=data, auth=(self.client_id, self.secret))

    async def fetch_token(self, scope: str | None = None) -> str:
        response = await self.token_response(scope)
        assert response.status_code == 200, response.text
        self.access_token = response.json()["access_token"]
        return self.access_token

    async def request(
        self, method: str, url: str, *, tenant: str | None = None, token: str | None = None, **kwargs: Any
    ) -> httpx.Response:
        if not (token or self.access_token):
            await self.fetch_token()
        headers = dict(kwargs.pop("headers", {}) or {})
        headers["Authorization"] = f"Bearer {token or self.access_token}"
        if tenant is not None:
            headers["Spojka-Tenant"] = tenant
        return await self.client.request(method, url, headers=headers, **kwargs)

    async def get(self, url: str, **kw: Any) -> httpx.Response:
        return await self.request("GET", url, **kw)

    async def post(self, url: str, **kw: Any) -> httpx.Response:
        return await self.request("POST", url, **kw)

    async def patch(self, url: str, **kw: Any) -> httpx.Response:
        return await self.request("PATCH", url, **kw)

    async def delete(self, url: str, **kw: Any) -> httpx.Response:
        return await self.request("DELETE", url, **kw)

    async def create_tenant(self, name: str = "Klient s.r.o.", **extra: Any) -> dict[str, Any]:
        response = await self.post("/partner/v1/tenants", json={"name": name, **extra})
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body

    async def create_memory_connection(self, tenant: str, connector: str, system: Any) -> dict[str, Any]:
        """A connection of a client tenant to an in-memory system (``memory-shop``, ``memory-books``)."""
        response = await self.post(
            "/api/v1/connections",
            tenant=tenant,
            json={
                "connector": connector,
                "name": f"{connector} of the client",
                "settings": {"system": system.name},
                "credentials": system.credentials(),
            },
        )
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body


NewPartner = Callable[..., Awaitable[ApiPartner]]


async def make_partner(
    app: Litestar, client: httpx.AsyncClient, scopes: frozenset[str] = ALL_SCOPES
) -> ApiPartner:
    db: Database = app.state.db
    async with db.session() as session:
        partner, made = await create_partner(session, f"Partner {uuid.uuid4().hex[:8]}", scopes=scopes)
        return ApiPartner(client, str(partner.id), str(made.client.id), made.secret)


@pytest.fixture
async def new_partner(app: Litestar) -> AsyncIterator[NewPartner]:
    """Factory of partners, each with its first client (all scopes unless given) and its own client."""
    clients: list[httpx.AsyncClient] = []

    async def make(scopes: frozenset[str] = ALL_SCOPES) -> ApiPartner:
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
        clients.append(client)
        return await make_partner(app, client, scopes)

    yield make
    for client in clients:
        await client.aclose()


class EventReceiver:
    """An ASGI app standing in for a partner's endpoint: records every request, answers as told."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        #: Statuses to answer with, in turn; 204 once they run out.
        self.answers: list[int] = []

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        self.received.append((headers, body))
        status = self.answers.pop(0) if self.answers else 204
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": b""})
