"""The add-on OAuth server of the partner e-shop (``/action/ApiOAuthServer/...``).

1. The merchant installs the add-on: :meth:`State.install_code` stands for the ``?code=`` Shoptet
   puts on the install URL (``POST /_sim/install`` with an ``installUrl`` calls it, as Shoptet
   does). The code is exchanged within :attr:`State.code_window` (5 s) at
   ``POST /action/ApiOAuthServer/token`` for the permanent OAuth token; each install grants a new
   one, and the previous one stops working.
2. ``GET /action/ApiOAuthServer/getAccessToken`` with ``Authorization: Bearer <OAuth token>`` gives
   a short-lived API access token (30 min; at most 5 alive at once).
"""

from __future__ import annotations

import asyncio
import secrets
import time
from dataclasses import dataclass
from typing import Any, Final

import httpx
import msgspec
from litestar import Response, get, post
from litestar.types import ControllerRouterHandler

from spojka_connectors.shoptet.simulator.protocol import AnyRequest, json_body
from spojka_connectors.shoptet.simulator.state import State


def _json(status: int, body: dict[str, Any]) -> Response[bytes]:
    return Response(content=msgspec.json.encode(body), status_code=status, media_type="application/json")


#: Shoptet fails the install if the install URL has not answered 200 within this.
INSTALL_WINDOW_SECONDS: Final = 5.0


@dataclass(frozen=True, slots=True)
class InstallAttempt:
    """How the add-on's install URL answered Shoptet's call."""

    installed: bool
    status: int | None
    seconds: float
    #: The start of the install URL's answer, or why there was none.
    answer: str = ""


async def call_install_url(state: State, install_url: str) -> InstallAttempt:
    """Install the add-on as Shoptet does: ``GET install_url?code=...``, 200 within 5 s or it failed.

    A failed install leaves the add-on uninstalled: a token the code was exchanged for is revoked.
    """
    state.install_url = install_url
    code = state.install_code()
    started = time.monotonic()
    try:
        async with httpx.AsyncClient(timeout=INSTALL_WINDOW_SECONDS) as client:
            response = await client.get(install_url, params={"code": code})
    except httpx.HTTPError as exc:
        state.uninstall()
        return InstallAttempt(False, None, time.monotonic() - started, f"{type(exc).__name__}: {exc}")
    seconds = time.monotonic() - started
    installed = response.status_code == 200 and seconds <= INSTALL_WINDOW_SECONDS
    if not installed:
        state.uninstall()
    return InstallAttempt(installed, response.status_code, seconds, response.text[:500])


def routes(state: State) -> list[ControllerRouterHandler]:
    """The OAuth server's routes over ``state``."""

    @post("/action/ApiOAuthServer/token", status_code=200)
    async def token(request: AnyRequest) -> Response[bytes]:
        body = await json_body(request)
        if state.oauth_delay > 0:
            await asyncio.sleep(state.oauth_delay)
        if not isinstance(body, dict) or body.get("grant_type") != "authorization_code":
            return _json(400, {"error": "unsupported_grant_type"})
        if body.get("client_id") != state.client_id or (
            "client_secret" in body and body["client_secret"] != state.client_secret
        ):
            return _json(401, {"error": "invalid_client"})
        issued = state.install_codes.pop(str(body.get("code")), None)
        if issued is None or state.now() - issued > state.code_window:
            return _json(
                400, {"error": "invalid_grant", "error_description": "The code is invalid or expired."}
            )
        if state.install_url is not None and body.get("redirect_uri") != state.install_url:
            return _json(
                400,
                {
                    "error": "invalid_grant",
                    "error_description": "redirect_uri is not the add-on's install URL.",
                },
            )
        return _json(
            200,
            {
                "access_token": state.grant_oauth_token(),
                "expires_in": None,
                "token_type": "Bearer",
                "scope": "api",
                "eshopId": state.eshop_id,
                "eshopUrl": state.url,
                "contactEmail": state.contact_email,
            },
        )

    @get("/action/ApiOAuthServer/getAccessToken", sync_to_thread=False)
    def access_token(request: AnyRequest) -> Response[bytes]:
        header = request.headers.get("Authorization", "")
        scheme, _, value = header.partition(" ")
        if (
            scheme.lower() != "bearer"
            or state.oauth_token is None
            or not secrets.compare_digest(value.encode(), state.oauth_token.encode())
        ):
            return _json(401, {"error": "invalid_token"})
        issued = state.issue_access_token()
        if issued is None:
            return _json(400, {"error": "maximum_tokens_reached"})
        return _json(
            200, {"access_token": issued.value, "expires_in": int(state.access_token_ttl.total_seconds())}
        )

    return [token, access_token]
