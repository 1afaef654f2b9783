"""A Shoptet API simulator for tests, the demo and ``spojka simulate shoptet``."""

from spojka_connectors.shoptet.simulator.app import (
    DEFAULT_TOKEN,
    SimPricelist,
    SimStock,
    State,
    build_app,
    serve,
)

__all__ = ("DEFAULT_TOKEN", "SimPricelist", "SimStock", "State", "build_app", "serve")
