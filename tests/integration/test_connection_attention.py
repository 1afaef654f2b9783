"""``connection.needs_attention``: a partner hears when a client's connection stops working (its
check fails after it worked, or the e-shop refuses webhooks), once, signed, not on every check."""

from __future__ import annotations

import json

import httpx

from spojka.connector import AuthExpiredError
from spojka.connector.testing import MemoryBooks, MemoryShop
from spojka.partners.events import verify_signature
from tests.integration.test_partner_walkthrough import Env, _partner, drain, memory_env
from tests.support.partners import EventReceiver
from tests.support.servers import serving

__all__ = ("memory_env",)  # the fixture


async def test_a_connection_that_stops_working_is_reported_once(memory_env: Env) -> None:
    app = memory_env[0]
    receiver = EventReceiver()
    shop, books = MemoryShop("attention-shop"), MemoryBooks("attention-books")
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as http:
        partner = await _partner(app, http)
        partner.access_token = (await partner.token_response()).json()["access_token"]
        tenant = (await partner.create_tenant("Pekárna Klásek s.r.o."))["id"]
        with serving(receiver) as receiver_url:
            endpoint = await partner.post(
                "/partner/v1/event-endpoints",
                json={"url": f"{receiver_url}/events", "events": ["connection.needs_attention"]},
            )
            assert endpoint.status_code == 201, endpoint.text
            secret = endpoint.json()["signingSecret"]
            shop_conn = await partner.create_memory_connection(tenant, "memory-shop", shop)
            check = await partner.post(f"/api/v1/connections/{shop_conn['id']}/check", tenant=tenant)
            assert check.json()["ok"], check.text

            # The merchant's token was revoked in the shop: the check fails, the partner is told.
            changed = await partner.patch(
                f"/api/v1/connections/{shop_conn['id']}",
                tenant=tenant,
                json={"credentials": {"token": "revoked-token-123"}},
            )
            assert changed.status_code == 200, changed.text
            for _ in range(2):
                check = await partner.post(f"/api/v1/connections/{shop_conn['id']}/check", tenant=tenant)
                assert not check.json()["ok"], check.text
            await drain(memory_env)
            assert len(receiver.received) == 1, receiver.received
            headers, body = receiver.received[0]
            assert headers["spojka-event"] == "connection.needs_attention"
            assert verify_signature(secret, body, headers["spojka-signature"])
            event = json.loads(body)
            assert event["tenantId"] == tenant
            assert event["data"]["connectionId"] == shop_conn["id"]
            assert event["data"]["message"] == check.json()["message"]
            assert "revoked-token-123" not in body.decode()

            # A link asks for webhooks and the shop refuses to register them: told again.
            good = await partner.patch(
                f"/api/v1/connections/{shop_conn['id']}",
                tenant=tenant,
                json={"credentials": {"token": shop.credentials()["token"]}},
            )
            assert good.status_code == 200, good.text
            books_conn = await partner.create_memory_connection(tenant, "memory-books", books)
            shop.fail_next("register_webhooks", AuthExpiredError("Webhooks need the add-on's rights."))
            made = await partner.post(
                "/api/v1/links",
                tenant=tenant,
                json={
                    "name": "s webhooky",
                    "eshopConnectionId": shop_conn["id"],
                    "accountingConnectionId": books_conn["id"],
                },
            )
            assert made.status_code == 201, made.text
            await drain(memory_env)
            assert [json.loads(b)["type"] for _, b in receiver.received] == ["connection.needs_attention"] * 2
            latest = json.loads(receiver.received[-1][1])
            assert "Webhooks need the add-on's rights" in latest["data"]["message"]
            shown = (await partner.get(f"/api/v1/connections/{shop_conn['id']}", tenant=tenant)).json()
            # Told apart from the connection's check, which the refusal says nothing about.
            assert shown["webhooks"]["ok"] is False
            assert "Webhooks need the add-on's rights" in shown["webhooks"]["message"]
            assert shown["lastCheck"] is None
