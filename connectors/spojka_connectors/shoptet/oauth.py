"""The add-on (OAuth) access mode: the install-code exchange and the short-lived access tokens.

1. When the merchant installs the add-on, Shoptet calls the install URL with ``?code=``; within 5
   seconds :func:`exchange_code` trades it at the partner e-shop's ``.../ApiOAuthServer/token`` for
   the permanent OAuth token, which the platform seals in the vault as the ``oauthToken`` credential.
2. API calls carry a short-lived access token (``Shoptet-Access-Token``, 30 minutes) from
   ``.../ApiOAuthServer/getAccessToken``. At most 5 may be alive per installation, so workers share
   one: :class:`AccessTokens` keeps it (and its expiry) in the connection's state and renews it under
   the state's cross-process lock, re-reading first, so that several workers needing a token at once
   fetch one, not one each.

authlib is not used: Shoptet's token endpoint takes a JSON body (authlib posts a form), and the
access-token step is not an OAuth grant at all.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Final

import httpx
import msgspec

from spojka.connector import AuthExpiredError, ConfigError, ConnectionState, FatalError, RetriableError
from spojka.connector.http import ConnectorHttpClient, RetryPolicy

STATE_KEY: Final = "shoptet.accessToken"
#: A token this close to its expiry is renewed before use rather than sent to die mid-run.
MARGIN: Final = timedelta(seconds=60)
#: Shoptet gives the install request 5 seconds in all; the exchange must fit well inside.
EXCHANGE_TIMEOUT: Final = httpx.Timeout(3.0, connect=1.5)


class _AccessToken(msgspec.Struct):
    access_token: str
    expires_in: int | None = None


class _OAuthToken(msgspec.Struct):
    access_token: str
    eshopId: int  # noqa: N815 (Shoptet's field name)
    eshopUrl: str  # noqa: N815
    contactEmail: str | None = None  # noqa: N815
    token_type: str = "Bearer"  # noqa: S105 (a token type, not a secret)
    scope: str = "api"


@dataclass(frozen=True, slots=True)
class Grant:
    """What the install code is traded for: the permanent OAuth token (a secret) and the e-shop."""

    oauth_token: str = field(repr=False)
    eshop_id: int
    eshop_url: str
    contact_email: str | None = None


async def exchange_code(
    token_url: str,
    *,
    client_id: str,
    code: str,
    redirect_uri: str,
    client_secret: str | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> Grant:
    """Trade the install ``code`` for the permanent OAuth token (in the install request's 5 seconds)."""
    body: dict[str, str] = {
        "client_id": client_id,
        "code": code,
        "grant_type": "authorization_code",
        "redirect_uri": redirect_uri,
        "scope": "api",
    }
    if client_secret:
        body["client_secret"] = client_secret
    # One attempt: a retry would not fit the window, and the code is single-use anyway.
    async with ConnectorHttpClient(
        name="The Shoptet OAuth server",
        timeout=EXCHANGE_TIMEOUT,
        retry=RetryPolicy(attempts=1, budget=4.0),
        transport=transport,
    ) as http:
        try:
            response = await http.post(token_url, json=body)
        except AuthExpiredError:
            # 401 invalid_client: the add-on's registration, not the merchant's code, is wrong.
            raise ConfigError(
                "Shoptet does not accept the add-on's clientId and clientSecret: check the add-on's set-up."
            ) from None
    if response.status_code != 200:
        raise FatalError(
            "Shoptet did not accept the add-on installation (the code is invalid or expired): "
            "install the add-on again.",
            details={"status": response.status_code},
        )
    try:
        token = msgspec.json.decode(response.content, type=_OAuthToken)
    except msgspec.DecodeError as exc:
        raise FatalError(
            f"Shoptet's OAuth server answered the installation in an unexpected shape: {exc}"
        ) from None
    return Grant(token.access_token, token.eshopId, token.eshopUrl, token.contactEmail or None)


class AccessTokens:
    """Short-lived access tokens of one add-on installation, shared through the connection's state."""

    def __init__(
        self,
        server_url: str,
        oauth_token: str,
        state: ConnectionState,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.server_url = server_url.rstrip("/")
        self._oauth_token = oauth_token
        self._state = state
        self._transport = transport

    async def current(self) -> str:
        """A token valid for at least :data:`MARGIN`, fetched only if the stored one is not."""
        stored = await self._stored()
        if stored is not None:
            return stored
        async with self._state.lock(STATE_KEY):
            stored = await self._stored()  # another worker may have renewed it while we waited
            return stored if stored is not None else await self._fetch()

    async def renew(self, rejected: str) -> str:
        """A new token after ``rejected`` was refused (401 ``expired-token``)."""
        async with self._state.lock(STATE_KEY):
            stored = await self._stored()
            if stored is not None and stored != rejected:
                return stored  # renewed by another worker meanwhile
            return await self._fetch()

    async def _stored(self) -> str | None:
        raw = await self._state.get(STATE_KEY)
        if not raw:
            return None
        try:
            value = json.loads(raw)
            token, expires = str(value["token"]), datetime.fromisoformat(value["expiresAt"])
        except (ValueError, KeyError, TypeError):
            return None
        return token if expires - MARGIN > datetime.now(UTC) else None

    async def _fetch(self) -> str:
        async with ConnectorHttpClient(
            base_url=self.server_url,
            name="The Shoptet OAuth server",
            headers={"Authorization": f"Bearer {self._oauth_token}"},
            transport=self._transport,
        ) as http:
            try:
                response = await http.get("/getAccessToken")
            except AuthExpiredError:
                # 401: the OAuth token was revoked (the add-on uninstalled, or installed anew).
                raise AuthExpiredError(
                    "Shoptet no longer accepts Spojka's add-on installation: install the add-on again."
                ) from None
        if response.status_code != 200:
            # maximum_tokens_reached: older tokens expire within 30 minutes.
            raise RetriableError(
                f"Shoptet did not give an access token (HTTP {response.status_code}); trying again later.",
                retry_after=60.0,
            )
        token = msgspec.json.decode(response.content, type=_AccessToken)
        expires = datetime.now(UTC) + timedelta(seconds=token.expires_in or 1800)
        await self._state.set(
            STATE_KEY, json.dumps({"token": token.access_token, "expiresAt": expires.isoformat()})
        )
        return token.access_token
