"""A POHODA mServer simulator for tests, the demo and ``spojka simulate pohoda``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from spojka.connector.simulation import Simulation
from spojka_connectors.pohoda.simulator.app import DEFAULT_PASSWORD, DEFAULT_USERNAME, State, build_app, serve


def simulator(seed: int = 0) -> Simulation:
    """The ``spojka.simulators`` entry point: a simulated POHODA company behind its mServer."""
    state = State()

    def connection(base_url: str) -> tuple[Mapping[str, Any], Mapping[str, str]]:
        return {"url": base_url, "ico": state.ico}, {"username": state.username, "password": state.password}

    return Simulation(connector="pohoda", app=build_app(state), connection=connection)


__all__ = ("DEFAULT_PASSWORD", "DEFAULT_USERNAME", "State", "build_app", "serve", "simulator")
