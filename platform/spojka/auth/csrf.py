"""CSRF protection of the cookie API (double-submit token, checked on every unsafe method)."""

from __future__ import annotations

import secrets

from litestar.config.csrf import CSRFConfig

from spojka.settings import Settings

# Machine callers that never hold our cookies: remote webhooks, and (later) OAuth clients.
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
