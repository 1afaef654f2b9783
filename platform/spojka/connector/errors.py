"""One error taxonomy for every connector, grouped by what the engine does about it.

- :class:`RetriableError`: the run is retried later (after ``retry_after`` if given), up to a
  bound; the merchant sees nothing unless the retries run out.
- :class:`RecordError`: this record is marked failed with the reason; the rest goes on.
- :class:`AuthExpiredError`: the run stops; the connection needs the merchant ("reconnect").
- :class:`ConfigError`: the run stops; the message says which setting to change.
- :class:`FatalError`: the run stops; the message says what to do.

Messages are written for the merchant, in plain words, and never contain a secret.
"""

from __future__ import annotations

from typing import Any


class ConnectorError(Exception):
    """Base of every error a connector raises on purpose."""

    def __init__(self, message: str, *, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}


class RetriableError(ConnectorError):
    """Temporary: the remote is busy, down, rate-limiting, or the connection dropped."""

    def __init__(
        self, message: str, *, retry_after: float | None = None, details: dict[str, Any] | None = None
    ):
        super().__init__(message, details=details)
        self.retry_after = retry_after


class RecordError(ConnectorError):
    """This record only: the rest of the batch goes on."""

    def __init__(self, message: str, *, record_id: str | None = None, details: dict[str, Any] | None = None):
        super().__init__(message, details=details)
        self.record_id = record_id


class AuthExpiredError(ConnectorError):
    """The credentials no longer work: the user has to reconnect or replace them."""


class ConfigError(ConnectorError):
    """The settings or mappings do not fit the remote system."""


class FatalError(ConnectorError):
    """Nothing sensible can be done without the user (missing rights, wrong company, licence)."""
