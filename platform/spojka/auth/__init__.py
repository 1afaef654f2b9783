"""Who is calling: sessions, the principal, role guards, rate limits and CSRF."""

from spojka.auth.principal import Principal, Role

__all__ = ("Principal", "Role")
