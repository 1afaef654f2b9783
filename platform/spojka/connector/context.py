"""What a connector gets when the engine opens a connection: settings, credentials, a little state.

A connector object (the entry point) may implement :class:`OpensSessions`; its ``open`` returns an
async context manager yielding a *session*: the object whose methods implement the capabilities of
:mod:`spojka.connector.capabilities`. One session serves one run of one flow, so it may keep an
HTTP client, a token, or a batch buffer for its lifetime.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable


@runtime_checkable
class ConnectionState(Protocol):
    """Small per-connection values the connector owns (access tokens, webhook keys), kept sealed."""

    async def get(self, key: str) -> str | None: ...

    async def set(self, key: str, value: str | None) -> None: ...

    def lock(self, key: str, *, timeout: float = 30.0) -> AbstractAsyncContextManager[None]:
        """Held across processes: e.g. only one worker renews a token at a time."""
        ...


class MemoryState:
    """A :class:`ConnectionState` in memory, for tests and one-off checks."""

    def __init__(self) -> None:
        self.values: dict[str, str] = {}

    async def get(self, key: str) -> str | None:
        return self.values.get(key)

    async def set(self, key: str, value: str | None) -> None:
        if value is None:
            self.values.pop(key, None)
        else:
            self.values[key] = value

    def lock(self, key: str, *, timeout: float = 30.0) -> AbstractAsyncContextManager[None]:
        return contextlib.nullcontext()


@dataclass(frozen=True, slots=True)
class ConnectionContext:
    """One connection, as the connector sees it. Credentials are opened just for this session."""

    connection_id: str
    settings: Mapping[str, Any]
    credentials: Mapping[str, str] = field(repr=False)
    state: ConnectionState = field(default_factory=MemoryState)
    #: Where the platform receives this connection's webhooks (for ``register_webhooks``).
    webhook_url: str | None = None


@runtime_checkable
class OpensSessions(Protocol):
    """A connector that can do work: ``async with connector.open(ctx) as session: ...``."""

    def open(self, context: ConnectionContext) -> AbstractAsyncContextManager[Any]: ...
