"""What the POHODA connector says about itself: settings, credentials and the mServer's limits.

Facts: POHODA mServer is an HTTP server inside a running POHODA; it takes XML on ``POST /xml``,
answers ``GET /status``, authenticates by the ``STW-Authorization: Basic ...`` header and processes
requests one at a time. Every ``dataPack`` carries the company's IČO, and POHODA refuses a pack
whose IČO is not the company's.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from spojka.connector import ConnectorSpec, RateLimit

DEFAULT_APPLICATION: Final = "Spojka"
ICO_PATTERN: Final = r"^[0-9]{8}$"
URL_PATTERN: Final = r"^https?://[^\s/?#]+(/[^\s?#]*)?$"

SETTINGS_SCHEMA: Final[dict[str, Any]] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "POHODA connection",
    "description": "Where Spojka finds the company's POHODA mServer, and which company it expects there.",
    "type": "object",
    "properties": {
        "url": {
            "title": "mServer address",
            "description": (
                "Address of the POHODA mServer with its port, as Spojka reaches it over the internet, "
                "for example https://pohoda.example.cz:444. The mServer is set up in POHODA under "
                "Účetní jednotky → Databáze → POHODA mServer."
            ),
            "type": "string",
            "format": "uri",
            "pattern": URL_PATTERN,
            "maxLength": 2000,
            "examples": ["https://pohoda.example.cz:444"],
        },
        "ico": {
            "title": "Company IČO",
            "description": (
                "Identification number (IČO) of the company (účetní jednotka) in POHODA, 8 digits. "
                "POHODA refuses data meant for a different IČO."
            ),
            "type": "string",
            "pattern": ICO_PATTERN,
            "examples": ["12345678"],
        },
        "application": {
            "title": "Application name",
            "description": "How Spojka's requests are named in the mServer monitoring and XML import log.",
            "type": "string",
            "minLength": 1,
            "maxLength": 100,
            "default": DEFAULT_APPLICATION,
        },
    },
    "required": ["url", "ico"],
    "additionalProperties": False,
}

CREDENTIALS_SCHEMA: Final[dict[str, Any]] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "POHODA credentials",
    "type": "object",
    "properties": {
        "username": {
            "title": "POHODA user name",
            "description": (
                "A POHODA user who may open this company and has the right to XML import "
                "(Přístupová práva → Soubor → Databáze)."
            ),
            "type": "string",
            "minLength": 1,
            "maxLength": 100,
            "writeOnly": True,
        },
        "password": {
            "title": "Password",
            "description": "The POHODA user's password.",
            "type": "string",
            "minLength": 1,
            "maxLength": 200,
            "writeOnly": True,
        },
    },
    "required": ["username", "password"],
    "additionalProperties": False,
}

RATE_LIMITS: Final = RateLimit(
    max_concurrency=1,
    note=(
        "The mServer processes requests one at a time; simultaneous requests wait in line. "
        "Its /status says idle or busy and how many requests are in progress; 503 means unavailable."
    ),
)

SPEC: Final = ConnectorSpec(
    key="pohoda",
    kind="accounting",
    title="POHODA",
    description=(
        "STORMWARE POHODA accounting through its mServer (XML over HTTP), with a POHODA user "
        "name and password."
    ),
    capabilities=(),
    settings_schema=SETTINGS_SCHEMA,
    credentials_schema=CREDENTIALS_SCHEMA,
    auth_mode="basic",
    rate_limits=RATE_LIMITS,
)


class SettingsError(ValueError):
    """The settings cannot be used; the message says why in plain words."""


@dataclass(frozen=True, slots=True)
class PohodaSettings:
    """The settings with defaults applied."""

    url: str
    ico: str
    application: str

    @classmethod
    def from_mapping(cls, settings: Mapping[str, Any]) -> PohodaSettings:
        """Apply defaults and check the values the connection depends on."""
        url = settings.get("url")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            msg = "The mServer address must be an http:// or https:// address."
            raise SettingsError(msg)
        ico = settings.get("ico")
        if not isinstance(ico, str) or not re.fullmatch(ICO_PATTERN, ico):
            msg = "The company IČO must be 8 digits."
            raise SettingsError(msg)
        application = settings.get("application") or DEFAULT_APPLICATION
        if not isinstance(application, str):
            msg = "The application name must be text."
            raise SettingsError(msg)
        return cls(url=url.rstrip("/"), ico=ico, application=application)
