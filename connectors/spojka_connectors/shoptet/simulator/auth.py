"""Who is calling: the private API token or a short-lived add-on access token, and its rights."""

from __future__ import annotations

import hmac
from typing import Final

from litestar import Response

from spojka_connectors.shoptet.simulator.protocol import AnyRequest, error
from spojka_connectors.shoptet.simulator.state import State

PRIVATE_HEADER: Final = "Shoptet-Private-API-Token"
ACCESS_HEADER: Final = "Shoptet-Access-Token"


def caller_token(request: AnyRequest) -> str | None:
    return request.headers.get(PRIVATE_HEADER) or request.headers.get(ACCESS_HEADER)


def authorize(request: AnyRequest, state: State, group: str) -> Response[bytes] | None:
    """``None`` when the caller may use ``group``; else the documented 401 or 403 answer."""
    state.requests += 1
    private = request.headers.get(PRIVATE_HEADER)
    access = request.headers.get(ACCESS_HEADER)
    if not private and not access:
        return error(
            401,
            "missing-access-token",
            "Missing access token. Please add `Shoptet-Access-Token` header to your request.",
        )
    if private:
        # Shoptet answers an unknown token and an expired one alike (401); the documented body is this one.
        if not hmac.compare_digest(private.encode(), state.token.encode()):
            return error(401, "expired-token", "Token is expired. Please ask for new one.")
        token = private
    else:
        assert access is not None
        if state.access_token_state(access) != "valid":
            return error(401, "expired-token", "Token is expired. Please ask for new one.")
        token = access
    if group not in state.rights:
        shortened = f"{token[:3]}..{token[-3:]}"
        return error(
            403,
            "invalid-token-no-rights",
            f'Your access token "{shortened}" has no defined rights for this resource.',
            "access-token",
        )
    return None
