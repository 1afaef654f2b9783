"""``POST /oauth/token``: the OAuth 2.0 client-credentials grant (RFC 6749 section 4.4).

Client authentication by HTTP Basic (section 2.3.1: ``client_id:client_secret``, each
form-urlencoded) or by the form fields ``client_id`` and ``client_secret``; never both. Errors carry
RFC 6749's ``error`` and ``error_description`` members (section 5.2), inside a problem-details body
like every other error of this API (``application/problem+json`` is JSON, so OAuth client libraries
read it as they read ``application/json``). Unknown form fields are ignored, as RFC 6749 requires.
"""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
from authlib.oauth2.rfc6749 import errors as oauth_errors
from authlib.oauth2.rfc6749.util import extract_basic_authorization, scope_to_list
from litestar import Request, Response, post
from litestar.status_codes import HTTP_200_OK
from sqlalchemy import select

from spojka.auth.client_ip import client_ip
from spojka.auth.ratelimit import RateLimiter
from spojka.db import Database, utcnow
from spojka.http.problems import Problem
from spojka.partners.credentials import same_secret
from spojka.partners.models import Partner, PartnerClient
from spojka.partners.services import scopes_of
from spojka.partners.tokens import TOKEN_LIFETIME, TokenKeys
from spojka.settings import Settings

FORM = "application/x-www-form-urlencoded"
GRANT = "client_credentials"
WINDOW_15_MIN = 900


class OAuthError(Problem):
    """An RFC 6749 error (``error`` code and ``error_description``) as problem details."""

    kind = "oauth"
    title = "OAuth error"

    def __init__(self, error: str, description: str, *, status: int = 400) -> None:
        self.status_code = status
        self.kind = f"oauth-{error.replace('_', '-')}"
        headers = {"Cache-Control": "no-store", "Pragma": "no-cache"}
        if status == 401:
            # RFC 6749 section 5.2: a 401 names the authentication scheme the client should use.
            headers["WWW-Authenticate"] = 'Basic realm="spojka"'
        super().__init__(
            description, extra={"error": error, "error_description": description}, headers=headers
        )


def _invalid_request(description: str) -> OAuthError:
    return OAuthError(oauth_errors.InvalidRequestError.error, description)


def _invalid_client() -> OAuthError:
    # One answer for an unknown client, a wrong secret and a revoked client: nothing to probe.
    return OAuthError(
        oauth_errors.InvalidClientError.error,
        "Client authentication failed: check the client id and secret.",
        status=401,
    )


class TokenResponse(msgspec.Struct, kw_only=True):
    """An access token (RFC 6749 section 5.1; snake_case as the RFC spells it)."""

    access_token: str
    token_type: str
    expires_in: int
    scope: str


def _credentials(request: Request[Any, Any, Any], form: dict[str, str]) -> tuple[str, str]:
    basic_id, basic_secret = extract_basic_authorization(request.headers)
    in_form = "client_id" in form or "client_secret" in form
    authorization = request.headers.get("authorization", "")
    if authorization[:6].lower() == "basic ":
        if basic_id is None:
            raise _invalid_client()
        if in_form and "client_secret" in form:
            raise _invalid_request(
                "Authenticate the client one way only: HTTP Basic or form fields, not both."
            )
        return str(basic_id), str(basic_secret or "")
    if "client_id" not in form or "client_secret" not in form:
        raise _invalid_client()
    return form["client_id"], form["client_secret"]


async def _form(request: Request[Any, Any, Any]) -> dict[str, str]:
    content_type, _ = request.content_type
    if content_type != FORM:
        raise _invalid_request(f"Send the request as {FORM}.")
    raw = await request.form()
    form: dict[str, str] = {}
    for key in raw:
        values = raw.getall(key)
        if len(values) != 1:
            raise _invalid_request(f"The parameter {key} is repeated.")
        form[key] = str(values[0])
    return form


@post(
    "/oauth/token",
    operation_id="issueAccessToken",
    tags=["partner"],
    status_code=HTTP_200_OK,
    opt={"exclude_from_auth": True, "answers": (401, 429)},
)
async def issue_access_token(request: Request[Any, Any, Any]) -> Response[TokenResponse]:
    """Exchange a partner client's credentials for an access token (OAuth 2.0 client credentials).

    Send `application/x-www-form-urlencoded` with `grant_type=client_credentials` and, optionally,
    `scope` (space-separated; default: all of the client's scopes). Authenticate the client with
    HTTP Basic (`client_id:client_secret`) or with the form fields `client_id` and `client_secret`.
    The token is a JWT valid for `expires_in` seconds; send it as `Authorization: Bearer ...`.
    Errors carry RFC 6749's `error` (`invalid_request`, `invalid_client`, `invalid_scope`,
    `unsupported_grant_type`) and `error_description`.
    """
    settings: Settings = request.app.state.settings
    limiter: RateLimiter = request.app.state.rate_limiter
    ip = client_ip(request, settings.trusted_proxy_set)
    await limiter.hit(
        "oauth-ip", ip, limit=settings.login_limit_per_ip_15min * 10, window_seconds=WINDOW_15_MIN
    )
    form = await _form(request)
    grant_type = form.get("grant_type")
    if not grant_type:
        raise _invalid_request("The parameter grant_type is missing: send grant_type=client_credentials.")
    if grant_type != GRANT:
        raise OAuthError(
            oauth_errors.UnsupportedGrantTypeError.error,
            f"Only grant_type={GRANT} is supported.",
        )
    client_id, secret = _credentials(request, form)
    try:
        client_uuid = uuid.UUID(client_id)
    except ValueError:
        raise _invalid_client() from None
    db: Database = request.app.state.db
    async with db.session() as session:
        row = (
            await session.execute(
                select(PartnerClient, Partner.status)
                .join(Partner, Partner.id == PartnerClient.partner_id)
                .where(PartnerClient.id == client_uuid)
            )
        ).first()
        # Compare even for an unknown client, so the timing does not tell which ids exist.
        expected = row[0].secret_hash if row is not None else "0" * 64
        if not same_secret(secret, expected) or row is None:
            raise _invalid_client()
        client, partner_status = row
        if client.revoked_at is not None or partner_status != "active":
            raise _invalid_client()
        allowed = frozenset(scopes_of(client))
        asked = scope_to_list(form.get("scope"))
        scopes = allowed if asked is None else frozenset(asked)
        if not scopes or not scopes <= allowed:
            raise OAuthError(
                oauth_errors.InvalidScopeError.error,
                f"This client may ask for: {' '.join(sorted(allowed))}.",
            )
        client.last_used_at = utcnow()
        client_pk, partner_id = client.id, client.partner_id
    keys: TokenKeys = request.app.state.token_keys
    token = await keys.issue(client_pk, partner_id, scopes)
    body = TokenResponse(
        access_token=token,
        token_type="Bearer",  # noqa: S106 (the RFC 6749 token type)
        expires_in=TOKEN_LIFETIME,
        scope=" ".join(sorted(scopes)),
    )
    return Response(body, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})


ROUTES = [issue_access_token]
