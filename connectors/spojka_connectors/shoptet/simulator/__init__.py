"""A Shoptet API simulator for tests, the demo and ``spojka simulate shoptet``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from spojka.connector.simulation import Simulation
from spojka_connectors.shoptet.simulator.app import (
    DEFAULT_TOKEN,
    SimPricelist,
    SimStock,
    State,
    build_app,
    serve,
)


def simulator(seed: int = 0) -> Simulation:
    """The ``spojka.simulators`` entry point: a simulated e-shop with its API."""
    state = State()

    def connection(base_url: str) -> tuple[Mapping[str, Any], Mapping[str, str]]:
        return {"apiUrl": base_url}, {"apiToken": state.token}

    return Simulation(connector="shoptet", app=build_app(state), connection=connection)


__all__ = ("DEFAULT_TOKEN", "SimPricelist", "SimStock", "State", "build_app", "serve", "simulator")
