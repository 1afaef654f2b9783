"""The connector contract suite, against the simulator over real HTTP."""

from __future__ import annotations

import pytest

from spojka.connector.testing.contract import ConnectorContract
from tests.connectors.shoptet.conftest import FAST, Shop, ShoptetHarness


class TestShoptetContract(ConnectorContract):
    """Every contract test of what the Shoptet connector declares."""

    connector_under_test = FAST

    @pytest.fixture
    def harness(self, shop: Shop) -> ShoptetHarness:
        return ShoptetHarness(shop)
