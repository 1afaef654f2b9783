"""CSRF protection of the cookie API (double-submit token, checked on every unsafe method)."""

from __future__ import annotations

import secrets

from litestar.config.csrf import CSRFConfig
from litestar.enums import ScopeType
from litestar.middleware.csrf import CSRFMiddleware
from litestar.types import Receive, Scope, Send

from spojka.settings import Settings

# Machine callers that never hold our cookies: remote webhooks and OAuth clients (the partner API).
CSRF_EXEMPT = ["^/api/v1/hooks/", "^/oauth/", "^/partner/"]


def csrf_secret(settings: Settings) -> str:
    """The configured secret; on the embedded default one is kept under the var folder."""
    if settings.secret_key:
        return settings.secret_key
    if settings.is_production:
        msg = "SPOJKA_SECRET_KEY must be set in production"
        raise RuntimeError(msg)
    path = settings.var_path / "secret.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(48))
    return path.read_text().strip()


def csrf_config(settings: Settings) -> CSRFConfig:
    return CSRFConfig(
        secret=csrf_secret(settings),
        cookie_name="csrftoken",
        header_name="x-csrftoken",
        cookie_secure=settings.secure_cookies,
        cookie_samesite="lax",
        exclude=CSRF_EXEMPT,
    )


class BearerAwareCSRFMiddleware(CSRFMiddleware):
    """Litestar's CSRF check, skipped for requests that authenticate with ``Authorization: Bearer``.

    CSRF abuses credentials a browser attaches by itself (cookies). A bearer token is never attached
    by the browser, and a cross-site page cannot add an Authorization header without a CORS
    preflight (which this API does not grant); the auth middleware uses only the token when one is
    sent, so such a request cannot ride on a cookie session.
    """

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == ScopeType.HTTP and has_bearer(scope):
            await self.app(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


def has_bearer(scope: Scope) -> bool:
    """Whether the request carries an ``Authorization: Bearer ...`` header."""
    for name, value in scope.get("headers", ()):
        if name.lower() == b"authorization":
            return value[:7].lower() == b"bearer "
    return False
