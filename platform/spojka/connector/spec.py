"""A connector's self-description, and the minimal protocol every connector object offers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, Protocol, runtime_checkable

import msgspec

ConnectorKind = Literal["eshop", "accounting", "shipping"]
AuthMode = Literal["api_token", "oauth2", "basic", "none"]


class RateLimit(msgspec.Struct, frozen=True, kw_only=True):
    """A documented limit of the remote API, enforced by the shared HTTP client."""

    max_concurrency: int | None = None
    bucket_size: int | None = None
    leak_per_second: float | None = None
    note: str = ""


class ConnectorSpec(msgspec.Struct, frozen=True, kw_only=True):
    """Key, kind, title and capabilities, plus JSON Schemas of settings and credentials.

    Every property of ``credentials_schema`` is secret: it is sealed in the vault, write-only over the
    API and never logged.
    """

    key: str
    kind: ConnectorKind
    title: str
    description: str = ""
    capabilities: tuple[str, ...] = ()
    settings_schema: dict[str, Any] = msgspec.field(default_factory=lambda: {"type": "object"})
    credentials_schema: dict[str, Any] = msgspec.field(default_factory=lambda: {"type": "object"})
    auth_mode: AuthMode = "api_token"
    rate_limits: RateLimit = msgspec.field(default_factory=RateLimit)
    simulated: bool = False
    #: ``title`` and ``description`` in other languages: ``{"cs": {"description": "…"}}`` (the
    #: schemas carry theirs as ``x-translations`` annotations).
    translations: dict[str, dict[str, str]] = msgspec.field(default_factory=dict)


class CheckResult(msgspec.Struct, frozen=True, kw_only=True):
    """The answer to "do these settings and credentials work?", in words a merchant understands."""

    ok: bool
    message: str
    details: dict[str, Any] = msgspec.field(default_factory=dict)


@runtime_checkable
class Connector(Protocol):
    """What the ``spojka.connectors`` entry point names (an instance, or a callable returning one)."""

    spec: ConnectorSpec

    async def check(self, settings: Mapping[str, Any], credentials: Mapping[str, str]) -> CheckResult:
        """Try the settings and credentials against the remote system."""
        ...


def secret_fields(spec: ConnectorSpec) -> tuple[str, ...]:
    properties = spec.credentials_schema.get("properties", {})
    return tuple(properties)
