"""A signed-in API user for tests: keeps its cookies and sends the CSRF header as the dashboard does."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

ESHOP_SETTINGS = {"shopUrl": "https://shop.example.cz", "stockId": 1}
ACCOUNTING_SETTINGS = {"url": "http://127.0.0.1:9999", "companyId": "12345678"}
PASSWORD = "correct horse battery staple"


class ApiUser:
    """Wraps an httpx client whose cookie jar holds the session and the CSRF token."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self.email = ""
        self.tenant_id = ""

    async def _csrf(self) -> dict[str, str]:
        if "csrftoken" not in self.client.cookies:
            await self.client.get("/api/v1/auth/password-rules")
        return {"x-csrftoken": self.client.cookies.get("csrftoken", "")}

    async def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        headers = dict(kwargs.pop("headers", {}) or {})
        if method.upper() not in {"GET", "HEAD", "OPTIONS"}:
            headers.update(await self._csrf())
        return await self.client.request(method, url, headers=headers, **kwargs)

    async def get(self, url: str, **kw: Any) -> httpx.Response:
        return await self.request("GET", url, **kw)

    async def post(self, url: str, **kw: Any) -> httpx.Response:
        return await self.request("POST", url, **kw)

    async def patch(self, url: str, **kw: Any) -> httpx.Response:
        return await self.request("PATCH", url, **kw)

    async def delete(self, url: str, **kw: Any) -> httpx.Response:
        return await self.request("DELETE", url, **kw)

    async def signup(self, email: str | None = None, company: str = "Test s.r.o.") -> dict[str, Any]:
        self.email = email or f"owner-{uuid.uuid4().hex[:8]}@example.cz"
        response = await self.post(
            "/api/v1/auth/signup", json={"email": self.email, "password": PASSWORD, "companyName": company}
        )
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        self.tenant_id = body["tenant"]["id"]
        return body

    async def create_connection(self, connector: str = "test-eshop", **overrides: Any) -> dict[str, Any]:
        if connector == "test-eshop":
            payload: dict[str, Any] = {
                "settings": ESHOP_SETTINGS,
                "credentials": {"apiToken": "good-token-123"},
            }
        else:
            payload = {"settings": ACCOUNTING_SETTINGS, "credentials": {"username": "u", "password": "p"}}
        payload = {
            "connector": connector,
            "name": f"{connector} {uuid.uuid4().hex[:6]}",
            **payload,
            **overrides,
        }
        response = await self.post("/api/v1/connections", json=payload)
        assert response.status_code == 201, response.text
        result: dict[str, Any] = response.json()
        return result

    async def create_link(self) -> dict[str, Any]:
        eshop = await self.create_connection("test-eshop")
        accounting = await self.create_connection("test-accounting")
        response = await self.post(
            "/api/v1/links",
            json={
                "name": f"link {uuid.uuid4().hex[:6]}",
                "eshopConnectionId": eshop["id"],
                "accountingConnectionId": accounting["id"],
            },
        )
        assert response.status_code == 201, response.text
        result: dict[str, Any] = response.json()
        return result
