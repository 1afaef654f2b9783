"""Limits and faults: 429 storms with Retry-After dates, the bucket, the connection cap, 423, 5xx and
dropped connections, against the simulator with its limits on where the test is about them."""

from __future__ import annotations

import asyncio
import time
from email.utils import parsedate_to_datetime

import httpx
import pytest

from spojka.connector import RateLimit, RetriableError
from spojka_connectors.shoptet import ShoptetConnector
from spojka_connectors.shoptet.simulator import Fault
from tests.connectors.shoptet.conftest import Shop, opened


def _token(shop: Shop) -> dict[str, str]:
    return {"Shoptet-Private-API-Token": shop.state.token}


async def test_a_429_storm_is_waited_out_as_retry_after_says(shop: Shop) -> None:
    order = shop.state.add_order()
    shop.state.inject(Fault("storm", count=2, seconds=1, path_prefix="/api/orders/"))
    started = time.monotonic()
    async with opened(shop) as session:
        got = await session.get_order(order.code)
    assert got is not None
    assert time.monotonic() - started >= 1.0  # it waited at least what Retry-After said
    assert shop.state.faults == []


async def test_retry_after_is_an_http_date(shop: Shop) -> None:
    shop.state.inject(Fault("storm", count=1, seconds=3))
    async with httpx.AsyncClient() as client:
        response = await client.get(f"{shop.url}/api/orders", headers=_token(shop))
    assert response.status_code == 429
    when = parsedate_to_datetime(response.headers["retry-after"])
    now = parsedate_to_datetime(response.headers["date"])
    assert 2 <= (when - now).total_seconds() <= 4
    assert response.json()["errors"][0]["errorCode"] == "too-many-requests"


async def test_a_storm_longer_than_the_budget_is_handed_back_with_its_wait(shop: Shop) -> None:
    shop.state.inject(Fault("storm", count=1, seconds=600))
    async with opened(shop) as session:
        with pytest.raises(RetriableError) as caught:
            await session.get_order("1")
    assert caught.value.retry_after is not None
    assert caught.value.retry_after > 500


async def test_server_errors_and_dropped_connections_are_retried(shop: Shop) -> None:
    order = shop.state.add_order()
    shop.state.inject(Fault("status", status=502, path_prefix="/api/orders/"))
    shop.state.inject(Fault("drop", path_prefix="/api/orders/"))
    async with opened(shop) as session:
        assert await session.get_order(order.code) is not None
    assert shop.state.faults == []


async def test_the_client_paces_itself_to_the_bucket_and_is_never_refused(shop: Shop) -> None:
    """A small bucket on a fast clock: 20 drops, 10/s, 10 times faster (100 a second)."""
    state = shop.state
    order = state.add_order()
    state.limits_enabled, state.bucket_size, state.time_scale = True, 20, 10.0
    limits = RateLimit(max_concurrency=3, bucket_size=20, leak_per_second=100)
    paced = ShoptetConnector(rate_limits=limits)
    started = time.monotonic()
    async with paced.open(shop.context()) as session:
        results = await asyncio.gather(*(session.get_order(order.code) for _ in range(60)))
    elapsed = time.monotonic() - started
    assert all(r is not None for r in results)
    assert state.throttled == 0
    assert elapsed >= (60 - 20) / 100 * 0.9
    async with httpx.AsyncClient() as client:
        answer = await client.get(f"{shop.url}/api/eshop", headers=_token(shop))
    filling, _, size = answer.headers["x-ratelimit-bucket-filling"].partition("/")
    assert size == "20"
    assert 0 <= int(filling) <= 20


async def test_more_than_three_connections_are_refused_but_the_client_keeps_to_three(shop: Shop) -> None:
    state = shop.state
    order = state.add_order()
    state.limits_enabled = True
    state.inject(Fault("latency", count=5, seconds=0.3))
    async with httpx.AsyncClient() as client:
        raw = await asyncio.gather(
            *(client.get(f"{shop.url}/api/eshop", headers=_token(shop)) for _ in range(5))
        )
    assert sorted(r.status_code for r in raw) == [200, 200, 200, 429, 429]
    state.throttled = 0
    state.inject(Fault("latency", count=6, seconds=0.2))
    async with opened(shop) as session:
        got = await asyncio.gather(*(session.get_order(order.code) for _ in range(6)))
    assert all(g is not None for g in got)
    assert state.throttled == 0


async def test_the_same_write_twice_at_once_is_locked(shop: Shop) -> None:
    code = shop.add_single("LOCK-1")
    shop.state.inject(Fault("latency", count=1, seconds=0.3, path_prefix="/api/stocks/"))
    body = {"data": [{"productCode": code, "quantity": 3}]}
    async with httpx.AsyncClient() as client:
        url = f"{shop.url}/api/stocks/1/movements"
        first = asyncio.create_task(client.patch(url, json=body, headers=_token(shop)))
        await asyncio.sleep(0.1)
        second = await client.patch(url, json=body, headers=_token(shop))
        assert (await first).status_code == 200
    assert second.status_code == 423
