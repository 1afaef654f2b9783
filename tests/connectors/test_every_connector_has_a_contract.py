"""Every connector installed through the ``spojka.connectors`` entry points runs the contract
suite: a plugin added without its ``ConnectorContract`` test class fails here."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

import tests.connectors
from spojka.connector.registry import Registry
from spojka.connector.testing.contract import ConnectorContract


def _contract_classes() -> list[type[ConnectorContract]]:
    root = Path(tests.connectors.__file__).parent
    for module in pkgutil.walk_packages([str(root)], prefix="tests.connectors."):
        importlib.import_module(module.name)
    found: list[type[ConnectorContract]] = []
    pending = list(ConnectorContract.__subclasses__())
    while pending:
        cls = pending.pop()
        found.append(cls)
        pending.extend(cls.__subclasses__())
    return found


def test_every_registered_connector_runs_the_contract_suite() -> None:
    registry = Registry.from_entry_points()
    installed = {entry.key for entry in registry}
    assert installed, "no connector is registered through the entry points"
    broken = {entry.key: entry.error for entry in registry if not entry.available}
    assert not broken, f"connectors that fail to load: {broken}"
    covered = {
        cls.connector_under_test.spec.key
        for cls in _contract_classes()
        if cls.__name__.startswith("Test") and cls.connector_under_test is not None
    }
    missing = sorted(installed - covered)
    assert not missing, f"connectors without a contract test class in tests/connectors: {missing}"
