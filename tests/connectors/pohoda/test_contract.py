"""The connector contract suite against the simulated mServer over real HTTP."""

from __future__ import annotations

import pytest

from spojka.connector.testing.contract import ConnectorContract, Harness
from spojka_connectors.pohoda import connector
from spojka_connectors.pohoda.simulator import State
from tests.connectors.pohoda.support import PohodaHarness


class TestPohodaContract(ConnectorContract):
    connector_under_test = connector

    @pytest.fixture
    def harness(self, pohoda: State, base_url: str) -> Harness:
        return PohodaHarness(pohoda, base_url)
