"""Job functions the worker runs. The sync engine's jobs join them in a later issue."""

from __future__ import annotations

from typing import Any

__all__ = ("ping",)


async def ping(ctx: dict[Any, Any]) -> str:
    """Smoke-test job: answers ``"pong"``, proving a worker is consuming the queue."""
    return "pong"
