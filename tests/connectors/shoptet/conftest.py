"""Fixtures of the Shoptet tests: a fresh simulated e-shop per test, served on loopback over real HTTP."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from spojka.connector import ConnectionContext, MemoryState, RateLimit
from spojka.connector.testing.contract import WEBHOOK_URL, Harness
from spojka_connectors.shoptet import ShoptetConnector
from spojka_connectors.shoptet.simulator import SimVariant, State, build_app, delivery, seed_shop, serving

#: The client paces nothing itself where the simulator's limits are off: tests about other things run fast.
NO_LIMITS = RateLimit(max_concurrency=3)
FAST = ShoptetConnector(rate_limits=NO_LIMITS)


class LockingState(MemoryState):
    """A connection state whose lock really excludes (the platform's holds across processes)."""

    def __init__(self) -> None:
        super().__init__()
        self._locks: dict[str, asyncio.Lock] = {}

    def lock(self, key: str, *, timeout: float = 30.0) -> contextlib.AbstractAsyncContextManager[None]:
        return self._locks.setdefault(key, asyncio.Lock())


@dataclass
class Shop:
    """A simulated e-shop and where it is served."""

    state: State
    url: str

    def settings(self, **extra: Any) -> dict[str, Any]:
        return {"apiUrl": self.url, "stockId": 1, **extra}

    def credentials(self) -> dict[str, str]:
        return {"apiToken": self.state.token}

    def context(self, state: MemoryState | None = None, **settings: Any) -> ConnectionContext:
        return ConnectionContext(
            connection_id="shoptet-test",
            settings=self.settings(**settings),
            credentials=self.credentials(),
            state=state if state is not None else MemoryState(),
            webhook_url=WEBHOOK_URL,
        )

    def add_single(self, code: str, *, stock: int = 5, kind: str = "product") -> str:
        """A product without variants, sold as ``code``."""
        variant = SimVariant(code=code, price=Decimal("121.00"), stock=Decimal(stock), buy_price=Decimal(50))
        self.state.add_product(f"Výrobek {code}", [variant], kind=kind)  # type: ignore[arg-type]
        return code


def fresh_state(**knobs: Any) -> State:
    # A token of its own: the client's limits (and a pause a storm left) belong to the token.
    state = State(limits_enabled=False, token=f"123456-p-100-{secrets.token_hex(16)}")
    seed_shop(state, 1, orders=0)
    for name, value in knobs.items():
        setattr(state, name, value)
    return state


class Switch:
    """One server for the whole session, in front of each test's own simulator app (starting and
    stopping uvicorn for every test would cost more than the tests)."""

    def __init__(self) -> None:
        self.app: Any = None

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":  # the apps here need no start-up
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        await self.app(scope, receive, send)


@pytest.fixture(scope="session")
def switch() -> Iterator[tuple[Switch, str]]:
    front = Switch()
    with serving(front) as url:
        yield front, url


@pytest.fixture
def shop(switch: tuple[Switch, str]) -> Shop:
    """A fresh e-shop with a small catalogue and no orders; its limits are off."""
    front, url = switch
    state = fresh_state()
    front.app = build_app(state)
    return Shop(state, url)


class ShoptetHarness(Harness):
    """Drives the simulator for the contract suite."""

    paging_records = 7
    # Shoptet stamps changes in whole seconds.
    clock_resolution = timedelta(seconds=1)
    missing_order_id = "1999000001"

    def __init__(self, shop: Shop) -> None:
        self.shop = shop
        self.state = LockingState()
        self._serial = 0

    async def settings(self) -> Mapping[str, Any]:
        return self.shop.settings(pageSize=3)

    async def credentials(self) -> Mapping[str, str]:
        return self.shop.credentials()

    async def bad_credentials(self) -> Mapping[str, str]:
        return {"apiToken": "123456-p-100-" + "x" * 30}

    def context(self, settings: Mapping[str, Any], credentials: Mapping[str, str]) -> ConnectionContext:
        # One state for the harness: the webhook key kept by register_webhooks verifies deliveries later.
        return ConnectionContext("contract-test", settings, credentials, self.state, WEBHOOK_URL)

    def _code(self) -> str:
        self._serial += 1
        return f"{self.factory.code_prefix}{self._serial:03d}".upper()

    async def seed_orders(self, n: int) -> Sequence[str]:
        codes = [v.code for p in self.shop.state.products.values() for v in p.variants]
        return [
            self.shop.state.add_order([(codes[i % len(codes)], Decimal(1 + i % 2))]).code for i in range(n)
        ]

    async def seed_products(self, n: int) -> Sequence[str]:
        return [self.shop.add_single(self._code()) for _ in range(n)]

    async def stock_codes(self, n: int) -> Sequence[str]:
        return [self.shop.add_single(self._code()) for _ in range(n)]

    async def webhook_delivery(self, source_id: str) -> tuple[Mapping[str, str], bytes]:
        if await self.state.get("shoptet.webhookKey") is None:
            context = self.context(await self.settings(), await self.credentials())
            async with FAST.open(context) as session:
                await session.register_webhooks(WEBHOOK_URL)
        return delivery(self.shop.state, "order:update", source_id)


@contextlib.asynccontextmanager
async def opened(shop: Shop, state: MemoryState | None = None, **settings: Any) -> AsyncIterator[Any]:
    async with FAST.open(shop.context(state, **settings)) as session:
        yield session
