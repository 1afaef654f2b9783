"""A Shoptet API simulator for tests, the demo, the benchmarks and ``spojka simulate shoptet``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from spojka.connector.simulation import Simulation
from spojka_connectors.shoptet.simulator.app import SimulatorApp, build_app, serve
from spojka_connectors.shoptet.simulator.control import PREFIX as CONTROL_PREFIX
from spojka_connectors.shoptet.simulator.seed import seed_shop
from spojka_connectors.shoptet.simulator.server import serving
from spojka_connectors.shoptet.simulator.state import (
    DEFAULT_TOKEN,
    Fault,
    SimOrder,
    SimPaymentMethod,
    SimPricelist,
    SimProduct,
    SimShippingMethod,
    SimStock,
    SimTaxClass,
    SimVariant,
    State,
)
from spojka_connectors.shoptet.simulator.webhooks import deliver_pending, delivery, sign


def simulator(seed: int = 0) -> Simulation:
    """The ``spojka.simulators`` entry point: a simulated e-shop with a few products, stock and orders."""
    state = State()
    seed_shop(state, seed)

    def connection(base_url: str) -> tuple[Mapping[str, Any], Mapping[str, str]]:
        return {"apiUrl": base_url, "stockId": state.default_stock_id}, {"apiToken": state.token}

    def addon_app(base_url: str) -> Mapping[str, str]:
        return {
            "clientId": state.client_id,
            "clientSecret": state.client_secret,
            "oauthServerUrl": f"{base_url}/action/ApiOAuthServer",
            "apiUrl": base_url,
        }

    about = {
        "control": CONTROL_PREFIX,
        "orders": sorted(state.orders),
        "codes": sorted(v.code for p in state.products.values() for v in p.variants),
    }
    return Simulation(
        connector="shoptet", app=build_app(state), connection=connection, about=about, addon_app=addon_app
    )


__all__ = (
    "CONTROL_PREFIX",
    "DEFAULT_TOKEN",
    "Fault",
    "SimOrder",
    "SimPaymentMethod",
    "SimPricelist",
    "SimProduct",
    "SimShippingMethod",
    "SimStock",
    "SimTaxClass",
    "SimVariant",
    "SimulatorApp",
    "State",
    "build_app",
    "deliver_pending",
    "delivery",
    "seed_shop",
    "serve",
    "serving",
    "sign",
    "simulator",
)
