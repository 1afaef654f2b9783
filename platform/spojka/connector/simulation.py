"""Simulators of remote systems, as a connector package offers them to the platform.

A simulator is a faithful HTTP server of the remote API (not a mock of our code): tests, the demo
and the benchmarks talk to it over real HTTP. A connector package registers one under the
``spojka.simulators`` entry point group, naming a callable ``(seed: int) -> Simulation``;
``spojka simulate NAME --port N`` serves it and prints, as its first line, one JSON object with
the base URL and the settings and credentials a connection to it needs.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import uvicorn

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
    #: For a system Spojka can be installed in as an add-on: the add-on's registration at this
    #: simulator (``SPOJKA_CONNECTOR_APPS`` values for the connector), given the base URL.
    addon_app: Callable[[str], Mapping[str, str]] | None = None

    def announcement(self, base_url: str) -> dict[str, Any]:
        """The JSON object ``spojka simulate`` prints first."""
        settings, credentials = self.connection(base_url)
        announced: dict[str, Any] = {
            "simulator": self.connector,
            "baseUrl": base_url,
            "settings": dict(settings),
            "credentials": dict(credentials),
        }
        if self.addon_app is not None:
            announced["addonApp"] = dict(self.addon_app(base_url))
        return announced | dict(self.about)


def listening_socket(host: str = "127.0.0.1", port: int = 0) -> socket.socket:
    """A TCP socket bound to ``host``:``port`` (0: any free port), for uvicorn to serve on.

    Made with ``IPPROTO_TCP`` explicitly: asyncio sets ``TCP_NODELAY`` only on sockets whose
    protocol says TCP, and without it every answer on a kept-alive connection waits about 40 ms
    for a delayed ACK, which no simulated rate limit could then reach.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    return sock


@contextmanager
def serving(app: Any, *, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Run an ASGI ``app`` with uvicorn on ``host``:``port`` (0: a free port) in a daemon thread;
    yield its base URL (tests, benchmarks, the demo)."""
    sock = listening_socket(host, port)
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            sock.close()
            msg = "the server did not start"
            raise RuntimeError(msg)
        time.sleep(0.01)
    shown = f"[{host}]" if ":" in host else host
    try:
        yield f"http://{shown}:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
