"""Simulators of remote systems, as a connector package offers them to the platform.

A simulator is a faithful HTTP server of the remote API (not a mock of our code): tests, the demo
and the benchmarks talk to it over real HTTP. A connector package registers one under the
``spojka.simulators`` entry point group, naming a callable ``(seed: int) -> Simulation``;
``spojka simulate NAME --port N`` serves it and prints, as its first line, one JSON object with
the base URL and the settings and credentials a connection to it needs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

GROUP = "spojka.simulators"


@dataclass(frozen=True, slots=True)
class Simulation:
    """One running simulated system: its ASGI app and how to connect to it."""

    #: The key of the connector that talks to this system (``shoptet``, ``pohoda``).
    connector: str
    #: The ASGI application serving the remote API (and the simulator's own control API).
    app: Any
    #: Settings and credentials of a connection, given the base URL the app is served at.
    connection: Callable[[str], tuple[Mapping[str, Any], Mapping[str, str]]]
    #: Anything else a user of the simulator should know (the control API's path, seeded data).
    about: Mapping[str, Any] = field(default_factory=dict)

    def announcement(self, base_url: str) -> dict[str, Any]:
        """The JSON object ``spojka simulate`` prints first."""
        settings, credentials = self.connection(base_url)
        return {
            "simulator": self.connector,
            "baseUrl": base_url,
            "settings": dict(settings),
            "credentials": dict(credentials),
            **dict(self.about),
        }
