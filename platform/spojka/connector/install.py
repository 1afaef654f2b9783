"""Add-on installs: a merchant installs Spojka from the remote system's add-on store.

The remote then calls Spojka's install address, ``/api/v1/installs/{connector}``, on its own (for
Shoptet a ``GET ?code=`` that must be answered within 5 seconds). A connector that supports this
implements :class:`Installable`: it turns that call, with the add-on's registration at the remote
(the operator's :class:`AddonApp`), into an :class:`Installation`: which e-shop it is, and the
settings and credentials of a connection to it. The platform then makes (or, on a re-install,
updates) the tenant and its connection, seals the credentials, and invites the contact person.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable


@dataclass(frozen=True, slots=True)
class AddonApp:
    """Spojka's registration as an add-on at one remote system, set up by the operator.

    ``values`` are the connector's own keys (for Shoptet ``clientId``, ``clientSecret``,
    ``oauthServerUrl``); the platform passes them through unread and never logs them.
    """

    values: Mapping[str, str] = field(repr=False)

    def get(self, key: str) -> str | None:
        value = self.values.get(key)
        return value if value else None


@dataclass(frozen=True, slots=True)
class InstallRequest:
    """The remote's call to the install address."""

    query: Mapping[str, str]
    #: The address the remote called (without the query): OAuth servers want it as ``redirect_uri``.
    install_url: str


@dataclass(frozen=True, slots=True)
class Installation:
    """An e-shop that installed the add-on, and how to connect to it.

    ``remote_id`` identifies the e-shop at the remote for good: a second install of the same e-shop
    updates its connection rather than making another. ``credentials`` are secrets for the vault.
    """

    remote_id: str
    name: str
    settings: Mapping[str, Any]
    credentials: Mapping[str, str] = field(repr=False)
    contact_email: str | None = None


@runtime_checkable
class Installable(Protocol):
    """A connector the remote system can install as an add-on."""

    async def install(self, request: InstallRequest, app: AddonApp) -> Installation:
        """Complete the remote's install call (within its time limit).

        Raise :class:`~spojka.connector.ConfigError` when ``app`` lacks a value the connector needs
        (the operator's mistake) and :class:`~spojka.connector.FatalError` when the remote refuses
        the install (an invalid or expired code).
        """
        ...
