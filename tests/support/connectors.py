"""Connectors written for the platform's own tests: a tiny e-shop and a tiny accounting system.

They exercise the registry, schema validation and credential handling without any remote system.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from spojka.connector import CheckResult, ConnectorSpec

GOOD_TOKEN = "good-token-123"


class _TestConnector:
    def __init__(self, spec: ConnectorSpec) -> None:
        self.spec = spec

    async def check(self, settings: Mapping[str, Any], credentials: Mapping[str, str]) -> CheckResult:
        secret = credentials.get("apiToken") or credentials.get("password")
        if secret == GOOD_TOKEN:
            return CheckResult(ok=True, message="Connected.")
        return CheckResult(ok=False, message="The token was refused.")


def eshop_connector() -> _TestConnector:
    return _TestConnector(
        ConnectorSpec(
            key="test-eshop",
            kind="eshop",
            title="Test e-shop",
            capabilities=("orders.read", "stock.write"),
            settings_schema={
                "type": "object",
                "properties": {
                    "shopUrl": {"type": "string", "format": "uri", "pattern": "^https?://"},
                    "stockId": {"type": "integer", "minimum": 1},
                },
                "required": ["shopUrl"],
                "additionalProperties": False,
            },
            credentials_schema={
                "type": "object",
                "properties": {"apiToken": {"type": "string", "minLength": 8, "writeOnly": True}},
                "required": ["apiToken"],
            },
        )
    )


def accounting_connector() -> _TestConnector:
    return _TestConnector(
        ConnectorSpec(
            key="test-accounting",
            kind="accounting",
            title="Test accounting",
            capabilities=("orders.write", "stock.read"),
            settings_schema={
                "type": "object",
                "properties": {
                    "url": {"type": "string"},
                    "companyId": {"type": "string", "pattern": "^[0-9]{8}$"},
                },
                "required": ["url", "companyId"],
                "additionalProperties": False,
            },
            credentials_schema={
                "type": "object",
                "properties": {
                    "username": {"type": "string", "minLength": 1, "writeOnly": True},
                    "password": {"type": "string", "minLength": 1, "writeOnly": True},
                },
                "required": ["username", "password"],
            },
            auth_mode="basic",
        )
    )
