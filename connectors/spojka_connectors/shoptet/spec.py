"""What the Shoptet connector says about itself: its settings, its credentials and the API's limits.

Facts come from Shoptet's official OpenAPI description of api.myshoptet.com (``info.description``:
authentication, rate limiting, server response format).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from spojka.connector import ConnectorSpec, RateLimit

DEFAULT_API_URL: Final = "https://api.myshoptet.com"
DEFAULT_STOCK_ID: Final = 1

# An absolute http(s) URL with a host and an optional path; no query or fragment, because paths such
# as /api/eshop are appended to it.
API_URL_PATTERN: Final = r"^https?://[^\s/?#]+(/[^\s?#]*)?$"

SETTINGS_SCHEMA: Final[dict[str, Any]] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Shoptet connection",
    "description": "Where Spojka finds the Shoptet API and which warehouse of the e-shop it works with.",
    "type": "object",
    "properties": {
        "apiUrl": {
            "title": "API address",
            "description": (
                "Base address of the Shoptet API. Keep the default unless you are told otherwise, "
                "for example to use a Shoptet simulator."
            ),
            "type": "string",
            "format": "uri",
            "pattern": API_URL_PATTERN,
            "maxLength": 2000,
            "default": DEFAULT_API_URL,
            "examples": [DEFAULT_API_URL],
        },
        "stockId": {
            "title": "Warehouse (stock) ID",
            "description": (
                "ID of the e-shop's warehouse whose stock levels Spojka reads and writes. "
                "An e-shop without more warehouses has just one, with ID 1."
            ),
            "type": "integer",
            "minimum": 1,
            "default": DEFAULT_STOCK_ID,
            "examples": [DEFAULT_STOCK_ID],
        },
    },
    "additionalProperties": False,
}

CREDENTIALS_SCHEMA: Final[dict[str, Any]] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Shoptet credentials",
    "type": "object",
    "properties": {
        "apiToken": {
            "title": "Private API token",
            "description": (
                "A private API token of the e-shop (Shoptet Premium). Create it in the e-shop "
                "administration under Access to API; it needs the orders, products, stocks, price "
                "lists and webhooks endpoint groups."
            ),
            "type": "string",
            # Shoptet tokens are letters, digits and dashes; visible ASCII also rejects a pasted space.
            "pattern": "^[!-~]+$",
            "minLength": 1,
            "maxLength": 255,
            "writeOnly": True,
        },
    },
    "required": ["apiToken"],
    "additionalProperties": False,
}

RATE_LIMITS: Final = RateLimit(
    max_concurrency=3,
    bucket_size=200,
    leak_per_second=10.0,
    note=(
        "At most 3 simultaneous connections per token (and 50 per IP address), else HTTP 429. "
        "Leaky bucket of 200 drops per e-shop, leaking 10 drops per second; each request adds drops "
        "by its cost, reported in the X-RateLimit-Bucket-Filling header. A full bucket answers 429 "
        "with Retry-After as an HTTP date. The same write URL called twice at once answers 423."
    ),
)

SPEC: Final = ConnectorSpec(
    key="shoptet",
    kind="eshop",
    title="Shoptet",
    description=(
        "Shoptet e-shop through its REST API (api.myshoptet.com), authorised by a private API token "
        "of a Shoptet Premium e-shop."
    ),
    capabilities=(),
    settings_schema=SETTINGS_SCHEMA,
    credentials_schema=CREDENTIALS_SCHEMA,
    auth_mode="api_token",
    rate_limits=RATE_LIMITS,
)


class SettingsError(ValueError):
    """The settings cannot be used; the message says why in plain words."""


@dataclass(frozen=True, slots=True)
class ShoptetSettings:
    """The settings with defaults applied."""

    api_url: str
    stock_id: int

    @classmethod
    def from_mapping(cls, settings: Mapping[str, Any]) -> ShoptetSettings:
        """Apply defaults and check the values the connection depends on."""
        api_url = settings.get("apiUrl", DEFAULT_API_URL)
        if not isinstance(api_url, str) or not api_url.startswith(("http://", "https://")):
            msg = "The API address must be an http:// or https:// address."
            raise SettingsError(msg)
        stock_id = settings.get("stockId", DEFAULT_STOCK_ID)
        if isinstance(stock_id, bool) or not isinstance(stock_id, int) or stock_id < 1:
            msg = "The warehouse (stock) ID must be a whole number of 1 or more."
            raise SettingsError(msg)
        return cls(api_url=api_url.rstrip("/"), stock_id=stock_id)
