"""The Shoptet connector object: its spec, the connection check, and sessions (``open``)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import httpx

from spojka.connector import CheckResult, ConfigError, ConnectionContext, ConnectorSpec, RateLimit
from spojka.connector.install import AddonApp, Installation, InstallRequest
from spojka_connectors.shoptet.check import check_connection
from spojka_connectors.shoptet.client import (
    ACCESS_TOKEN_HEADER,
    DEFAULT_TIMEOUT,
    TOKEN_HEADER,
    Renew,
    ShoptetClient,
    fingerprint,
)
from spojka_connectors.shoptet.install import install
from spojka_connectors.shoptet.oauth import AccessTokens
from spojka_connectors.shoptet.session import ShoptetSession
from spojka_connectors.shoptet.spec import SPEC, SettingsError, ShoptetSettings


class ShoptetConnector:
    """The Shoptet e-shop connector.

    ``rate_limits`` replaces the documented limits the client paces itself by: only for a simulator
    whose clock runs faster (benchmarks) or with its limits off (tests). ``transport`` is for tests.
    """

    def __init__(
        self,
        *,
        http_timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        transport: httpx.AsyncBaseTransport | None = None,
        rate_limits: RateLimit | None = None,
    ) -> None:
        self.spec: ConnectorSpec = SPEC
        self._timeout = http_timeout
        self._transport = transport
        self._limits = rate_limits or SPEC.rate_limits

    async def check(self, settings: Mapping[str, Any], credentials: Mapping[str, str]) -> CheckResult:
        """Try the settings and the token against the e-shop; answer in plain words."""
        return await check_connection(
            settings, credentials, http_timeout=self._timeout, transport=self._transport
        )

    async def install(self, request: InstallRequest, app: AddonApp) -> Installation:
        """The add-on install: Shoptet's ``code`` exchanged for the e-shop's permanent OAuth token."""
        return await install(request, app, transport=self._transport)

    def open(self, context: ConnectionContext) -> AbstractAsyncContextManager[ShoptetSession]:
        """A session on the e-shop of ``context`` (private token, or add-on access tokens)."""
        return self._open(context)

    @asynccontextmanager
    async def _open(self, context: ConnectionContext) -> AsyncIterator[ShoptetSession]:
        try:
            settings = ShoptetSettings.from_mapping(context.settings)
        except SettingsError as exc:
            raise ConfigError(str(exc)) from None
        private = context.credentials.get("apiToken")
        oauth_token = context.credentials.get("oauthToken")
        if private:
            client = self._client(settings, private, TOKEN_HEADER, None)
        elif oauth_token:
            if settings.oauth_server_url is None:
                raise ConfigError(
                    "Add-on mode needs the OAuth server address in the settings (oauthServerUrl)."
                )
            tokens = AccessTokens(
                settings.oauth_server_url, oauth_token, context.state, transport=self._transport
            )
            current = [await tokens.current()]

            async def renew() -> tuple[str, str] | None:
                # After a 401 expired-token: one new token for every worker, under the state's lock.
                current[0] = await tokens.renew(current[0])
                return ACCESS_TOKEN_HEADER, current[0]

            client = self._client(settings, current[0], ACCESS_TOKEN_HEADER, renew, fingerprint(oauth_token))
        else:
            raise ConfigError(
                "No API token is set. Enter the e-shop's private API token or install the add-on."
            )
        async with client:
            yield ShoptetSession(client, settings, context)

    def _client(
        self,
        settings: ShoptetSettings,
        token: str,
        header: str,
        renew: Renew | None,
        limit_id: str | None = None,
    ) -> ShoptetClient:
        return ShoptetClient(
            settings.api_url,
            token,
            header=header,
            limits=self._limits,
            renew=renew,
            limit_id=limit_id,
            timeout=self._timeout,
            transport=self._transport,
        )
