"""The connector SDK: what a connector plugin imports. It imports nothing else of the platform."""

from spojka.connector.spec import (
    CheckResult,
    Connector,
    ConnectorKind,
    ConnectorSpec,
    RateLimit,
    secret_fields,
)

__all__ = ("CheckResult", "Connector", "ConnectorKind", "ConnectorSpec", "RateLimit", "secret_fields")
