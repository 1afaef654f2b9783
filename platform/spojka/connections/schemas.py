"""Shapes of connections and of the connector registry over the API."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

import msgspec

from spojka.http.schemas import Input, Name, Output

SecretState = Literal["set", "unset"]


class ConnectorOut(Output):
    key: str
    kind: str | None
    title: str
    capabilities: list[str]
    settings_schema: dict[str, Any]
    credentials_schema: dict[str, Any]
    auth_mode: str | None
    available: bool
    description: str = ""
    #: ``title`` and ``description`` by language, where the connector translated them.
    translations: dict[str, dict[str, str]] = msgspec.field(default_factory=dict)
    simulated: bool = False
    error: str | None = None


class ConnectionIn(Input):
    connector: str
    name: Name
    settings: dict[str, Any] = msgspec.field(default_factory=dict)
    credentials: dict[str, str] = msgspec.field(default_factory=dict)


class ConnectionPatch(Input):
    name: Name | msgspec.UnsetType = msgspec.UNSET
    settings: dict[str, Any] | msgspec.UnsetType = msgspec.UNSET
    #: Replace secrets field by field: a string sets it, ``null`` clears it, absent leaves it.
    credentials: dict[str, str | None] | msgspec.UnsetType = msgspec.UNSET


class CheckOut(Output):
    ok: bool
    message: str
    checked_at: datetime
    details: dict[str, Any] = msgspec.field(default_factory=dict)


class WebhooksOut(Output):
    """Whether the e-shop sends this connection's order webhooks (last registration, in words)."""

    ok: bool
    message: str
    registered_at: datetime


class ConnectionOut(Output):
    id: uuid.UUID
    connector: str
    kind: str | None
    name: str
    settings: dict[str, Any]
    credentials: dict[str, SecretState]
    last_check: CheckOut | None
    created_at: datetime
    updated_at: datetime
    #: Where the e-shop sends webhooks (a secret address), for connectors that receive them.
    webhook_url: str | None = None
    #: The last webhook registration's outcome (``None``: no link has asked for webhooks yet).
    webhooks: WebhooksOut | None = None
