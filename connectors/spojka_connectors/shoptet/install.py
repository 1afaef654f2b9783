"""Installing Spojka as a Shoptet add-on: the install call's ``code`` becomes a connection.

The operator registers Spojka as an add-on in a Shoptet partner e-shop and gives the platform the
add-on's ``clientId``, ``clientSecret`` (when Shoptet has one activated) and ``oauthServerUrl`` (the
partner e-shop's ``.../action/ApiOAuthServer``); ``apiUrl`` is only for a simulator.
"""

from __future__ import annotations

from typing import Any, Final
from urllib.parse import urlsplit

import httpx

from spojka.connector import ConfigError, FatalError
from spojka.connector.install import AddonApp, Installation, InstallRequest
from spojka_connectors.shoptet.oauth import exchange_code

#: Shoptet's codes are 255 characters; anything much longer is not one.
MAX_CODE_LENGTH: Final = 1000


async def install(
    request: InstallRequest, app: AddonApp, *, transport: httpx.AsyncBaseTransport | None = None
) -> Installation:
    """Exchange the install ``code`` and describe the e-shop's add-on connection."""
    code = request.query.get("code", "")
    if not code or len(code) > MAX_CODE_LENGTH:
        raise FatalError("The install call carries no valid code: install the add-on from Shoptet again.")
    client_id, server = app.get("clientId"), app.get("oauthServerUrl")
    if client_id is None or server is None:
        raise ConfigError(
            "The Shoptet add-on is not set up on this server: clientId and oauthServerUrl are missing."
        )
    server = server.rstrip("/")
    grant = await exchange_code(
        f"{server}/token",
        client_id=client_id,
        client_secret=app.get("clientSecret"),
        code=code,
        redirect_uri=request.install_url,
        transport=transport,
    )
    settings: dict[str, Any] = {"oauthServerUrl": server}
    api_url = app.get("apiUrl")
    if api_url is not None:
        settings["apiUrl"] = api_url.rstrip("/")
    return Installation(
        remote_id=str(grant.eshop_id),
        name=urlsplit(grant.eshop_url).hostname or f"Shoptet e-shop {grant.eshop_id}",
        settings=settings,
        credentials={"oauthToken": grant.oauth_token},
        contact_email=grant.contact_email,
    )
