"""A POHODA mServer simulator for tests, the demo and ``spojka simulate pohoda``."""

from spojka_connectors.pohoda.simulator.app import DEFAULT_PASSWORD, DEFAULT_USERNAME, State, build_app, serve

__all__ = ("DEFAULT_PASSWORD", "DEFAULT_USERNAME", "State", "build_app", "serve")
