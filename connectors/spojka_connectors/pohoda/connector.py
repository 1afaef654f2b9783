"""The POHODA connector object: its spec, the connection check, and sessions for the engine."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import httpx

from spojka.connector import CheckResult, ConfigError, ConnectionContext, ConnectorSpec
from spojka.connector.http import RetryPolicy
from spojka_connectors.pohoda.check import check_connection
from spojka_connectors.pohoda.client import DEFAULT_TIMEOUT, MServerClient
from spojka_connectors.pohoda.session import PohodaSession
from spojka_connectors.pohoda.spec import SPEC, PohodaSettings, SettingsError


class PohodaConnector:
    """The POHODA accounting connector (the ``spojka.connectors`` entry point's object)."""

    def __init__(
        self,
        *,
        http_timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        transport: httpx.AsyncBaseTransport | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.spec: ConnectorSpec = SPEC
        self._timeout = http_timeout
        self._transport = transport
        self._retry = retry

    async def check(self, settings: Mapping[str, Any], credentials: Mapping[str, str]) -> CheckResult:
        """Try the settings and credentials against the mServer; answer in plain words."""
        return await check_connection(
            settings, credentials, http_timeout=self._timeout, transport=self._transport
        )

    def open(self, context: ConnectionContext) -> AbstractAsyncContextManager[PohodaSession]:
        """A session on the connection's company; raises :class:`ConfigError` for unusable settings."""
        return self._open(context)

    @asynccontextmanager
    async def _open(self, context: ConnectionContext) -> AsyncIterator[PohodaSession]:
        try:
            cfg = PohodaSettings.from_mapping(context.settings)
        except SettingsError as exc:
            raise ConfigError(str(exc)) from None
        username = context.credentials.get("username") or ""
        password = context.credentials.get("password") or ""
        if not username or not password:
            raise ConfigError("Enter the POHODA user name and password of the connection.")
        client = MServerClient(
            cfg.url,
            username,
            password,
            application=cfg.application,
            connection_id=context.connection_id,
            timeout=self._timeout,
            retry=self._retry,
            transport=self._transport,
        )
        async with client:
            yield PohodaSession(cfg, client)
