"""``spojka simulate NAME``: serve a connector package's simulator on loopback."""

from __future__ import annotations

import asyncio
import json
import sys
from importlib.metadata import entry_points

import click
import uvicorn

from spojka.connector.simulation import GROUP, Simulation, listening_socket


def load_simulation(name: str, *, seed: int = 0) -> Simulation:
    """The simulator registered as ``name`` in the ``spojka.simulators`` entry points."""
    found = {ep.name: ep for ep in entry_points(group=GROUP)}
    if name not in found:
        known = ", ".join(sorted(found)) or "none installed"
        raise click.UsageError(f"no simulator named {name!r} (known: {known})")
    simulation = found[name].load()(seed)
    if not isinstance(simulation, Simulation):
        raise click.UsageError(f"the simulator {name!r} did not return a Simulation")
    return simulation


def serve_simulator(name: str, *, host: str, port: int, seed: int) -> int:
    """Serve until interrupted; the announcement goes out once the socket listens."""
    simulation = load_simulation(name, seed=seed)
    listener = listening_socket(host, port)
    listener.listen()
    bound_port = listener.getsockname()[1]
    shown_host = f"[{host}]" if ":" in host else host
    base_url = f"http://{shown_host}:{bound_port}"
    click.echo(json.dumps(simulation.announcement(base_url), ensure_ascii=False))
    server = uvicorn.Server(uvicorn.Config(simulation.app, log_level="warning", lifespan="off"))
    try:
        asyncio.run(server.serve(sockets=[listener]))
    except KeyboardInterrupt:
        pass
    finally:
        listener.close()
    sys.stdout.flush()
    return 0
