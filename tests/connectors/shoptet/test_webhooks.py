"""Webhooks over real HTTP: registration, signed deliveries to a receiver, forgeries, mass events."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from spojka.connector import AuthExpiredError, MemoryState
from spojka.connector.capabilities import WebhookEvent
from spojka_connectors.shoptet.simulator import deliver_pending, delivery, serving
from tests.connectors.shoptet.conftest import FAST, Shop, opened


class Receiver:
    """The platform's webhook intake in miniature: verify, answer 401 to forgeries, enqueue the rest."""

    def __init__(self, shop: Shop, state: MemoryState) -> None:
        self.shop, self.state = shop, state
        self.queue: list[WebhookEvent] = []
        self.seen: set[str] = set()
        self.statuses: list[int] = []

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode(): v.decode() for k, v in scope["headers"]}
        status = 200
        try:
            async with FAST.open(self.shop.context(self.state)) as session:
                events = await session.verify_webhook(headers, body)
        except AuthExpiredError:
            status = 401
        else:
            for event in events:
                if event.dedup_key not in self.seen:
                    self.seen.add(event.dedup_key)
                    self.queue.append(event)
        self.statuses.append(status)
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": b""})


@pytest.fixture
def receiver(shop: Shop) -> Iterator[tuple[Receiver, str]]:
    hub = Receiver(shop, MemoryState())
    with serving(hub) as url:
        yield hub, url + "/api/v1/hooks/c1/t0k3n"


async def test_registered_events_arrive_signed_and_forgeries_are_refused(
    shop: Shop, receiver: tuple[Receiver, str]
) -> None:
    hub, url = receiver
    async with opened(shop, hub.state) as session:
        await session.register_webhooks(url)
        await session.register_webhooks(url)  # a repeat changes nothing
    assert sorted(w.event for w in shop.state.webhooks.values()) == [
        "order:create",
        "order:paid",
        "order:update",
    ]
    assert {w.url for w in shop.state.webhooks.values()} == {url}

    order = shop.state.add_order()
    shop.state.change_order(order.code, paid=True)
    assert await deliver_pending(shop.state) == 3
    assert hub.statuses == [200, 200, 200]
    assert [(e.event, e.object_id) for e in hub.queue] == [
        ("order:create", order.code),
        ("order:update", order.code),
        ("order:paid", order.code),
    ]

    # A forged delivery: a genuine one whose body was changed on the way.
    headers, body = delivery(shop.state, "order:create", "2026999999")
    forged = body.replace(b"2026999999", b"2026999998")
    async with httpx.AsyncClient() as client:
        refused = await client.post(url, content=forged, headers=headers)
        unsigned = await client.post(url, content=body)
        again = await client.post(url, content=body, headers=headers)
        twice = await client.post(url, content=body, headers=headers)
    assert (refused.status_code, unsigned.status_code) == (401, 401)
    assert (again.status_code, twice.status_code) == (200, 200)
    assert [e.object_id for e in hub.queue].count("2026999998") == 0
    # The same delivery twice is enqueued once (event + instance + time).
    assert [e.object_id for e in hub.queue].count("2026999999") == 1


async def test_a_rotated_key_still_accepts_deliveries_signed_with_the_previous_one(shop: Shop) -> None:
    state = MemoryState()
    async with opened(shop, state) as session:
        await session.register_webhooks("https://spojka.example/hook")
        old = delivery(shop.state, "order:update", "1")
        await session.rotate_webhook_key()
        new = delivery(shop.state, "order:update", "2")
        assert [e.object_id for e in await session.verify_webhook(*old)] == ["1"]
        assert [e.object_id for e in await session.verify_webhook(*new)] == ["2"]
        await session.rotate_webhook_key()
        with pytest.raises(AuthExpiredError):
            await session.verify_webhook(*old)


async def test_a_mass_event_becomes_one_event_per_order(shop: Shop) -> None:
    state = MemoryState()
    async with opened(shop, state) as session:
        await session.register_webhooks("https://spojka.example/hook")
        headers, body = delivery(shop.state, "order:massUpdate", ["2026000001", "2026000002", "2026000003"])
        events = await session.verify_webhook(headers, body)
    assert json.loads(body)["eventInstance"] == '["2026000001", "2026000002", "2026000003"]'
    assert [e.object_id for e in events] == ["2026000001", "2026000002", "2026000003"]
    assert len({e.dedup_key for e in events}) == 3
    assert all(e.event == "order:massUpdate" and e.occurred_at is not None for e in events)


async def test_registering_moves_an_event_to_the_new_url(shop: Shop) -> None:
    async with opened(shop) as session:
        await session.register_webhooks("https://old.example/hook")
        await session.register_webhooks("https://new.example/hook")
    assert {w.url for w in shop.state.webhooks.values()} == {"https://new.example/hook"}
    assert len(shop.state.webhooks) == 3


async def test_a_delivery_without_a_key_in_the_state_is_refused(shop: Shop) -> None:
    async with opened(shop) as session:
        await session.register_webhooks("https://spojka.example/hook")
        headers, body = delivery(shop.state, "order:create", "1")
    async with opened(shop, MemoryState()) as other:
        with pytest.raises(AuthExpiredError):
            await other.verify_webhook(headers, body)
