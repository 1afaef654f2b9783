"""The connector SDK: what a connector plugin imports. It imports nothing else of the platform."""

from spojka.connector.context import ConnectionContext, ConnectionState, MemoryState, OpensSessions
from spojka.connector.errors import (
    AuthExpiredError,
    ConfigError,
    ConnectorError,
    FatalError,
    RecordError,
    RetriableError,
)
from spojka.connector.spec import (
    CheckResult,
    Connector,
    ConnectorKind,
    ConnectorSpec,
    RateLimit,
    secret_fields,
)

__all__ = (
    "AuthExpiredError",
    "CheckResult",
    "ConfigError",
    "ConnectionContext",
    "ConnectionState",
    "Connector",
    "ConnectorError",
    "ConnectorKind",
    "ConnectorSpec",
    "FatalError",
    "MemoryState",
    "OpensSessions",
    "RateLimit",
    "RecordError",
    "RetriableError",
    "secret_fields",
)
