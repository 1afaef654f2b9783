"""Serving the simulator: in the foreground (``serve``) or on a free loopback port in a background
thread (``serving``, for tests, benchmarks and the demo).

``serving`` is the SDK's (:func:`spojka.connector.simulation.serving`), which sets up the socket so
that kept-alive connections are not slowed by delayed ACKs.
"""

from __future__ import annotations

from typing import Any

import uvicorn

from spojka.connector.simulation import serving

__all__ = ("serve", "serving")


def serve(app: Any, port: int, host: str = "127.0.0.1") -> None:
    """Run ``app`` with uvicorn in the foreground until interrupted."""
    uvicorn.run(app, host=host, port=port, log_level="info")
