"""What the POHODA connector says about itself: settings, credentials and the mServer's limits.

Facts: POHODA mServer is an HTTP server inside a running POHODA; it takes XML on ``POST /xml``,
answers ``GET /status``, authenticates by the ``STW-Authorization: Basic ...`` header and processes
requests one at a time. Every ``dataPack`` carries the company's IČO, and POHODA refuses a pack
whose IČO is not the company's.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from spojka.connector import ConnectorSpec, RateLimit
from spojka.connector import capabilities as cap

DEFAULT_APPLICATION: Final = "Spojka"
DEFAULT_EXT_SYSTEM: Final = "Spojka"
DEFAULT_STORE: Final = "ZBOŽÍ"
DEFAULT_PRICE_GROUP: Final = "SK"
DEFAULT_TRACKING_PARAMETER: Final = "VPrSledovani"
DEFAULT_BATCH_SIZE: Final = 50
DEFAULT_PAGE_SIZE: Final = 1000
#: POHODA's user-defined fields are named VPr... (own value) or RefVPr... (a list), 16 characters.
PARAMETER_PATTERN: Final = r"^(VPr|RefVPr)[A-Za-z0-9_]{1,13}$"

_MAPPING: Final[dict[str, Any]] = {
    "type": "object",
    "additionalProperties": {"type": "string", "minLength": 1, "maxLength": 20},
}
ICO_PATTERN: Final = r"^[0-9]{8}$"
URL_PATTERN: Final = r"^https?://[^\s/?#]+(/[^\s?#]*)?$"

SETTINGS_SCHEMA: Final[dict[str, Any]] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "POHODA connection",
    "description": "Where Spojka finds the company's POHODA mServer, and which company it expects there.",
    "x-translations": {
        "cs": {
            "title": "Propojení s POHODOU",
            "description": (
                "Kde Spojka najde mServer POHODY vaší firmy a kterou účetní jednotku v něm očekává."
            ),
        }
    },
    "type": "object",
    "properties": {
        "url": {
            "title": "mServer address",
            "description": (
                "Address of the POHODA mServer with its port, as Spojka reaches it over the internet, "
                "for example https://pohoda.example.cz:444. The mServer is set up in POHODA under "
                "Účetní jednotky → Databáze → POHODA mServer."
            ),
            "x-translations": {
                "cs": {
                    "title": "Adresa mServeru",
                    "description": (
                        "Adresa POHODA mServeru včetně portu, na které je pro Spojku dostupný z internetu, "
                        "například https://pohoda.example.cz:444. mServer se nastavuje v POHODĚ v nabídce "
                        "Účetní jednotky → Databáze → POHODA mServer."
                    ),
                }
            },
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
            "x-translations": {
                "cs": {
                    "title": "IČO účetní jednotky",
                    "description": (
                        "Identifikační číslo (IČO) firmy (účetní jednotky) v POHODĚ, 8 číslic. POHODA "
                        "odmítne data určená pro jiné IČO."
                    ),
                }
            },
            "type": "string",
            "pattern": ICO_PATTERN,
            "examples": ["12345678"],
        },
        "application": {
            "title": "Application name",
            "description": "How Spojka's requests are named in the mServer monitoring and XML import log.",
            "x-translations": {
                "cs": {
                    "title": "Název aplikace",
                    "description": (
                        "Pod jakým názvem se požadavky Spojky zobrazují v monitoringu mServeru a v protokolu "
                        "importu XML."
                    ),
                }
            },
            "type": "string",
            "minLength": 1,
            "maxLength": 100,
            "default": DEFAULT_APPLICATION,
        },
        "extSystem": {
            "title": "External system name",
            "description": (
                "The name under which POHODA keeps Spojka's external ids (extId exSystemName); an order "
                "is looked up by it before it is created, so a retry never makes a second one."
            ),
            "x-translations": {
                "cs": {
                    "title": "Název externího systému",
                    "description": (
                        "Název, pod kterým POHODA eviduje externí identifikátory Spojky (extId "
                        "exSystemName); podle něj se objednávka před vytvořením vyhledá, takže opakovaný "
                        "pokus nikdy nevytvoří druhou."
                    ),
                }
            },
            "type": "string",
            "minLength": 1,
            "maxLength": 64,
            "default": DEFAULT_EXT_SYSTEM,
        },
        "store": {
            "title": "Store",
            "description": "The POHODA store (sklad) whose stock cards Spojka reads and writes, e.g. ZBOŽÍ.",
            "x-translations": {
                "cs": {
                    "title": "Sklad",
                    "description": (
                        "Sklad v POHODĚ, jehož skladové zásoby Spojka čte a zapisuje, např. ZBOŽÍ."
                    ),
                }
            },
            "type": "string",
            "minLength": 1,
            "maxLength": 64,
            "default": DEFAULT_STORE,
        },
        "priceGroup": {
            "title": "Price group of new stock cards",
            "description": "The selling price group (Členění cen) a new stock card gets, e.g. SK.",
            "x-translations": {
                "cs": {
                    "title": "Cenová skupina nových zásob",
                    "description": (
                        "Skupina prodejních cen (Členění cen), kterou dostane nově založená skladová zásoba, "
                        "např. SK."
                    ),
                }
            },
            "type": "string",
            "minLength": 1,
            "maxLength": 10,
            "default": DEFAULT_PRICE_GROUP,
        },
        "orderSeries": {
            "title": "Number series of received orders",
            "description": (
                "The POHODA number series (e.g. OBP) of the received orders; empty: POHODA's default."
            ),
            "x-translations": {
                "cs": {
                    "title": "Číselná řada přijatých objednávek",
                    "description": (
                        "Číselná řada v POHODĚ (např. OBP) pro přijaté objednávky; prázdné: výchozí řada "
                        "POHODY."
                    ),
                }
            },
            "type": "string",
            "maxLength": 10,
        },
        "invoiceSeries": {
            "title": "Number series of issued invoices",
            "description": "The POHODA number series of the invoices Spojka issues; empty: POHODA's default.",
            "x-translations": {
                "cs": {
                    "title": "Číselná řada vydaných faktur",
                    "description": (
                        "Číselná řada v POHODĚ pro faktury, které Spojka vystavuje; prázdné: výchozí řada "
                        "POHODY."
                    ),
                }
            },
            "type": "string",
            "maxLength": 10,
        },
        "paymentTypes": {
            **_MAPPING,
            # ord:paymentType/typ:ids is string32 (the form of payment's name); carriers are string20.
            "additionalProperties": {"type": "string", "minLength": 1, "maxLength": 32},
            "title": "Payment types",
            "description": (
                "The e-shop's payment method code → the POHODA payment type (Forma úhrady) abbreviation."
            ),
            "x-translations": {
                "cs": {
                    "title": "Formy úhrady",
                    "description": (
                        "Kód platební metody v e-shopu → zkratka formy úhrady v POHODĚ (Formy úhrady)."
                    ),
                }
            },
        },
        "carriers": {
            **_MAPPING,
            "title": "Carriers",
            "description": "The e-shop's shipping method code → the POHODA carrier (Dopravce) abbreviation.",
            "x-translations": {
                "cs": {
                    "title": "Dopravci",
                    "description": "Kód způsobu dopravy v e-shopu → zkratka dopravce v POHODĚ (Dopravci).",
                }
            },
        },
        "trackingParameter": {
            "title": "Tracking number field",
            "description": (
                "The user-defined field of received orders holding the tracking number "
                "(e.g. VPrSledovani), as it is named in POHODA."
            ),
            "x-translations": {
                "cs": {
                    "title": "Pole pro číslo zásilky",
                    "description": (
                        "Uživatelské pole přijatých objednávek, ve kterém je sledovací číslo zásilky (např. "
                        "VPrSledovani), pojmenované tak jako v POHODĚ."
                    ),
                }
            },
            "type": "string",
            "pattern": PARAMETER_PATTERN,
            "default": DEFAULT_TRACKING_PARAMETER,
        },
        "batchSize": {
            "title": "Documents per request",
            "description": "How many documents Spojka sends to the mServer in one data pack.",
            "x-translations": {
                "cs": {
                    "title": "Dokladů v jednom požadavku",
                    "description": "Kolik dokladů Spojka pošle mServeru v jednom datovém balíku (dataPack).",
                }
            },
            "type": "integer",
            "minimum": 1,
            "maximum": 500,
            "default": DEFAULT_BATCH_SIZE,
        },
        "pageSize": {
            "title": "Records per page when reading",
            "description": "How many stock cards or orders one list request asks for (POHODA allows 10,000).",
            "x-translations": {
                "cs": {
                    "title": "Záznamů na stránku při načítání",
                    "description": (
                        "Kolik skladových zásob nebo objednávek si vyžádá jeden požadavek na seznam (POHODA "
                        "dovoluje 10 000)."
                    ),
                }
            },
            "type": "integer",
            "minimum": 1,
            "maximum": 10000,
            "default": DEFAULT_PAGE_SIZE,
        },
    },
    "required": ["url", "ico"],
    "additionalProperties": False,
}

CREDENTIALS_SCHEMA: Final[dict[str, Any]] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "POHODA credentials",
    "x-translations": {
        "cs": {
            "title": "Přístupové údaje k POHODĚ",
        }
    },
    "type": "object",
    "properties": {
        "username": {
            "title": "POHODA user name",
            "description": (
                "A POHODA user who may open this company and has the right to XML import "
                "(Přístupová práva → Soubor → Databáze)."
            ),
            "x-translations": {
                "cs": {
                    "title": "Uživatelské jméno v POHODĚ",
                    "description": (
                        "Uživatel POHODY, který smí otevřít tuto účetní jednotku a má právo na import XML "
                        "(Přístupová práva → Soubor → Databáze)."
                    ),
                }
            },
            "type": "string",
            "minLength": 1,
            "maxLength": 100,
            "writeOnly": True,
        },
        "password": {
            "title": "Password",
            "description": "The POHODA user's password.",
            "x-translations": {
                "cs": {
                    "title": "Heslo",
                    "description": "Heslo uživatele POHODY.",
                }
            },
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
    translations={
        "cs": {
            "description": (
                "Účetnictví STORMWARE POHODA přes jeho mServer (XML přes HTTP), s přihlášením "
                "uživatelským jménem a heslem do POHODY."
            )
        }
    },
    capabilities=(
        cap.ORDERS_WRITE,
        cap.ORDERS_DELETE,
        cap.INVOICES_WRITE,
        cap.STOCK_RESERVE,
        cap.PRODUCTS_WRITE,
        cap.STOCK_READ,
        cap.FULFILMENT_READ,
        cap.OPTIONS_READ,
    ),
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
    ext_system: str = DEFAULT_EXT_SYSTEM
    store: str = DEFAULT_STORE
    price_group: str = DEFAULT_PRICE_GROUP
    order_series: str = ""
    invoice_series: str = ""
    payment_types: Mapping[str, str] = field(default_factory=dict)
    carriers: Mapping[str, str] = field(default_factory=dict)
    tracking_parameter: str = DEFAULT_TRACKING_PARAMETER
    batch_size: int = DEFAULT_BATCH_SIZE
    page_size: int = DEFAULT_PAGE_SIZE

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
        tracking = settings.get("trackingParameter") or DEFAULT_TRACKING_PARAMETER
        if not isinstance(tracking, str) or not re.fullmatch(PARAMETER_PATTERN, tracking):
            msg = "The tracking number field must be a POHODA user-defined field name such as VPrSledovani."
            raise SettingsError(msg)
        return cls(
            url=url.rstrip("/"),
            ico=ico,
            application=application,
            ext_system=_text(settings, "extSystem", DEFAULT_EXT_SYSTEM),
            store=_text(settings, "store", DEFAULT_STORE),
            price_group=_text(settings, "priceGroup", DEFAULT_PRICE_GROUP),
            order_series=_text(settings, "orderSeries", ""),
            invoice_series=_text(settings, "invoiceSeries", ""),
            payment_types=_mapping(settings, "paymentTypes"),
            carriers=_mapping(settings, "carriers"),
            tracking_parameter=tracking,
            batch_size=_number(settings, "batchSize", DEFAULT_BATCH_SIZE, 500),
            page_size=_number(settings, "pageSize", DEFAULT_PAGE_SIZE, 10000),
        )


def _text(settings: Mapping[str, Any], key: str, default: str) -> str:
    value = settings.get(key)
    if value is None or value == "":
        return default
    if not isinstance(value, str):
        msg = f"The setting {key} must be text."
        raise SettingsError(msg)
    return value


def _mapping(settings: Mapping[str, Any], key: str) -> dict[str, str]:
    value = settings.get(key) or {}
    if not isinstance(value, Mapping) or not all(isinstance(v, str) for v in value.values()):
        msg = f"The setting {key} must map e-shop codes to POHODA abbreviations."
        raise SettingsError(msg)
    return {str(k): v for k, v in value.items()}


def _number(settings: Mapping[str, Any], key: str, default: int, maximum: int) -> int:
    value = settings.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= maximum:
        msg = f"The setting {key} must be a whole number from 1 to {maximum}."
        raise SettingsError(msg)
    return value
