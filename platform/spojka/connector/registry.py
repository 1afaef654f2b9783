"""The registry of installed connectors, read from the ``spojka.connectors`` entry points.

A plugin that fails to load is listed as unavailable with the reason, never fatal at start.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points

from spojka.connector.spec import Connector, ConnectorSpec

GROUP = "spojka.connectors"
log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RegistryEntry:
    key: str
    connector: Connector | None
    error: str | None = None

    @property
    def available(self) -> bool:
        return self.connector is not None

    @property
    def spec(self) -> ConnectorSpec | None:
        return self.connector.spec if self.connector else None


def _load(ep: EntryPoint, *, check_name: bool = True) -> RegistryEntry:
    try:
        target = ep.load()
        connector = target() if callable(target) and not isinstance(target, Connector) else target
        if not isinstance(connector, Connector) or not isinstance(connector.spec, ConnectorSpec):
            return RegistryEntry(ep.name, None, "does not provide a connector with a spec")
        if not check_name:
            return RegistryEntry(connector.spec.key, connector)
        if connector.spec.key != ep.name:
            return RegistryEntry(
                ep.name, None, f"registered as {ep.name!r} but its spec says {connector.spec.key!r}"
            )
    except Exception as exc:  # a broken plugin must never take the platform down
        log.warning("connector plugin %s failed to load: %s", ep.name, exc)
        return RegistryEntry(ep.name, None, f"failed to load: {type(exc).__name__}: {exc}")
    return RegistryEntry(ep.name, connector)


class Registry:
    """Connectors by key."""

    def __init__(self, entries: Iterable[RegistryEntry] = ()) -> None:
        self._entries = {e.key: e for e in entries}

    @classmethod
    def from_entry_points(cls, group: str = GROUP, *, extra: str = "") -> Registry:
        """Installed plugins, plus ``extra`` connectors named as ``module:attribute,...``."""
        entries = [_load(ep) for ep in entry_points(group=group)]
        for spec in filter(None, (s.strip() for s in extra.split(","))):
            entries.append(_load(EntryPoint(name=spec, value=spec, group=group), check_name=False))
        return cls(entries)

    def register(self, connector: Connector) -> None:
        """Add a connector in-process (tests, embedded simulators)."""
        self._entries[connector.spec.key] = RegistryEntry(connector.spec.key, connector)

    def get(self, key: str) -> RegistryEntry | None:
        return self._entries.get(key)

    def __iter__(self) -> Iterator[RegistryEntry]:
        return iter(sorted(self._entries.values(), key=lambda e: e.key))
