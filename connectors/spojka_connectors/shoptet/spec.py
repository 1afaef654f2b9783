"""What the Shoptet connector says about itself: its settings, its credentials and the API's limits.

Facts come from Shoptet's official OpenAPI description of api.myshoptet.com (``info.description``:
authentication, rate limiting, server response format).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from spojka.connector import ConnectorSpec, RateLimit
from spojka.connector import capabilities as cap

DEFAULT_API_URL: Final = "https://api.myshoptet.com"
DEFAULT_STOCK_ID: Final = 1
#: Shoptet's system statuses "Vyřízena" (done) and "Stornována" (cancelled).
DEFAULT_FULFILLED_STATUS: Final = -3
DEFAULT_CANCELLED_STATUS: Final = -4
#: The order list's documented maximum page ("default & max 50, temporarily").
MAX_PAGE_SIZE: Final = 50

# An absolute http(s) URL with a host and an optional path; no query or fragment, because paths such
# as /api/eshop are appended to it.
API_URL_PATTERN: Final = r"^https?://[^\s/?#]+(/[^\s?#]*)?$"

SETTINGS_SCHEMA: Final[dict[str, Any]] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Shoptet connection",
    "description": "Where Spojka finds the Shoptet API and which warehouse of the e-shop it works with.",
    "x-translations": {
        "cs": {
            "title": "Propojení se Shoptetem",
            "description": "Kde Spojka najde API Shoptetu a se kterým skladem e-shopu pracuje.",
        }
    },
    "type": "object",
    "properties": {
        "apiUrl": {
            "title": "API address",
            "description": (
                "Base address of the Shoptet API. Keep the default unless you are told otherwise, "
                "for example to use a Shoptet simulator."
            ),
            "x-translations": {
                "cs": {
                    "title": "Adresa API",
                    "description": (
                        "Základní adresa API Shoptetu. Výchozí hodnotu ponechte, pokud vám nebylo řečeno "
                        "jinak, například kvůli použití simulátoru Shoptetu."
                    ),
                }
            },
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
            "x-translations": {
                "cs": {
                    "title": "ID skladu",
                    "description": (
                        "ID skladu e-shopu, jehož stav zásob Spojka čte a zapisuje. E-shop, který nemá více "
                        "skladů, má jen jeden sklad s ID 1."
                    ),
                }
            },
            "type": "integer",
            "minimum": 1,
            "default": DEFAULT_STOCK_ID,
            "examples": [DEFAULT_STOCK_ID],
        },
        "stockField": {
            "title": "Stock level written as",
            "description": (
                "quantity: the amount customers can order (on hand less reserved, or what accounting "
                "calls available); realStock: the physical amount, from which Shoptet subtracts its "
                "own open orders."
            ),
            "x-translations": {
                "cs": {
                    "title": "Stav skladu zapisovat jako",
                    "description": (
                        "quantity: množství, které si zákazníci mohou objednat (skladem minus rezervováno, v "
                        "účetnictví tzv. disponibilní množství); realStock: fyzické množství, od kterého "
                        "Shoptet sám odečte své nevyřízené objednávky."
                    ),
                }
            },
            "type": "string",
            "enum": ["quantity", "realStock"],
            "default": "quantity",
        },
        "statusesToTransfer": {
            "title": "Order statuses to transfer",
            "description": "IDs of the order statuses whose orders go to accounting; empty means all.",
            "x-translations": {
                "cs": {
                    "title": "Stavy objednávek k přenosu",
                    "description": (
                        "ID stavů objednávek, jejichž objednávky se přenášejí do účetnictví; prázdné znamená "
                        "všechny."
                    ),
                }
            },
            "type": "array",
            "items": {"type": "integer"},
            "uniqueItems": True,
            "default": [],
        },
        "statusMapping": {
            "title": "Status mapping",
            "description": (
                "Shoptet order status ID → the status name Spojka passes on; statuses not listed "
                "keep their Shoptet ID."
            ),
            "x-translations": {
                "cs": {
                    "title": "Převod stavů",
                    "description": (
                        "ID stavu objednávky v Shoptetu → název stavu, který Spojka předá dál; stavy, které "
                        "zde nejsou uvedeny, si ponechají své ID ze Shoptetu."
                    ),
                }
            },
            "type": "object",
            "propertyNames": {"pattern": "^-?[0-9]+$"},
            "additionalProperties": {"type": "string", "minLength": 1, "maxLength": 100},
            "default": {},
        },
        "fulfilledStatusId": {
            "title": "Status of a fulfilled order",
            "description": "The Shoptet status an order gets when accounting settles it.",
            "x-translations": {
                "cs": {
                    "title": "Stav vyřízené objednávky",
                    "description": (
                        "Stav objednávky v Shoptetu, který objednávka dostane, když ji účetnictví vyřídí "
                        "(výchozí je Vyřízena)."
                    ),
                }
            },
            "type": "integer",
            "default": DEFAULT_FULFILLED_STATUS,
        },
        "cancelledStatusId": {
            "title": "Status of a cancelled order",
            "description": "The Shoptet status of cancelled orders (read as cancelled, and set on cancel).",
            "x-translations": {
                "cs": {
                    "title": "Stav stornované objednávky",
                    "description": (
                        "Stav objednávky v Shoptetu pro stornované objednávky (Spojka podle něj pozná "
                        "stornovanou objednávku a nastaví ho při stornování; výchozí je Stornována)."
                    ),
                }
            },
            "type": "integer",
            "default": DEFAULT_CANCELLED_STATUS,
        },
        "suppressEmailSending": {
            "title": "No e-mail to the customer on a status change",
            "description": "When Spojka changes an order's status, Shoptet sends no e-mail about it.",
            "x-translations": {
                "cs": {
                    "title": "Neposílat zákazníkovi e-mail při změně stavu",
                    "description": (
                        "Když Spojka změní stav objednávky, Shoptet o tom zákazníkovi nepošle e-mail."
                    ),
                }
            },
            "type": "boolean",
            "default": False,
        },
        "suppressSmsSending": {
            "title": "No SMS to the customer on a status change",
            "description": "When Spojka changes an order's status, Shoptet sends no SMS about it.",
            "x-translations": {
                "cs": {
                    "title": "Neposílat zákazníkovi SMS při změně stavu",
                    "description": (
                        "Když Spojka změní stav objednávky, Shoptet o tom zákazníkovi nepošle SMS."
                    ),
                }
            },
            "type": "boolean",
            "default": False,
        },
        "suppressDocumentGeneration": {
            "title": "No documents on a status change",
            "description": (
                "When Spojka changes an order's status, Shoptet generates no invoice or other document."
            ),
            "x-translations": {
                "cs": {
                    "title": "Nevystavovat doklady při změně stavu",
                    "description": (
                        "Když Spojka změní stav objednávky, Shoptet nevystaví fakturu ani jiný doklad."
                    ),
                }
            },
            "type": "boolean",
            "default": False,
        },
        "pageSize": {
            "title": "Orders and products per page",
            "description": (
                "How many records one step of a read holds (smaller pages resume sooner after a failure)."
            ),
            "x-translations": {
                "cs": {
                    "title": "Objednávek a produktů na stránku",
                    "description": (
                        "Kolik záznamů se načte v jednom kroku čtení (s menšími stránkami Spojka po chybě "
                        "naváže dříve)."
                    ),
                }
            },
            "type": "integer",
            "minimum": 1,
            "maximum": MAX_PAGE_SIZE,
            "default": MAX_PAGE_SIZE,
        },
        "oauthServerUrl": {
            "title": "OAuth server (add-on mode)",
            "description": (
                "For an add-on installation: the address of the partner e-shop's OAuth server, "
                "ending in /action/ApiOAuthServer. Leave empty with a private API token."
            ),
            "x-translations": {
                "cs": {
                    "title": "OAuth server (režim doplňku)",
                    "description": (
                        "Pro instalaci formou doplňku: adresa OAuth serveru partnerského e-shopu, končící na "
                        "/action/ApiOAuthServer. Při použití soukromého API tokenu nechte prázdné."
                    ),
                }
            },
            "type": "string",
            "format": "uri",
            "pattern": API_URL_PATTERN,
            "maxLength": 2000,
        },
    },
    "additionalProperties": False,
}

CREDENTIALS_SCHEMA: Final[dict[str, Any]] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Shoptet credentials",
    "x-translations": {
        "cs": {
            "title": "Přístupové údaje pro Shoptet",
        }
    },
    "type": "object",
    "properties": {
        "apiToken": {
            "title": "Private API token",
            "description": (
                "A private API token of the e-shop (Shoptet Premium). Create it in the e-shop "
                "administration under Access to API; it needs the orders, products, stocks, price "
                "lists and webhooks endpoint groups."
            ),
            "x-translations": {
                "cs": {
                    "title": "Soukromý API token",
                    "description": (
                        "Soukromý API token e-shopu (Shoptet Premium). Vytvoříte ho v administraci e-shopu v "
                        "části Propojení → API partner → Přístup k API; potřebuje přístup ke skupinám "
                        "endpointů objednávky (orders), produkty (products), sklady (stocks), ceníky (price "
                        "lists) a webhooky (webhooks)."
                    ),
                }
            },
            "type": "string",
            # Shoptet tokens are letters, digits and dashes; visible ASCII also rejects a pasted space.
            "pattern": "^[!-~]+$",
            "minLength": 1,
            "maxLength": 255,
            "writeOnly": True,
        },
        "oauthToken": {
            "title": "Add-on OAuth token",
            "description": (
                "The permanent OAuth token of Spojka's add-on installation in this e-shop, obtained "
                "when the merchant installed the add-on. Spojka uses it to fetch short-lived access tokens."
            ),
            "x-translations": {
                "cs": {
                    "title": "OAuth token doplňku",
                    "description": (
                        "Trvalý OAuth token instalace doplňku Spojka v tomto e-shopu, který Spojka získala, "
                        "když obchodník doplněk nainstaloval. Spojka si jím vyžádá krátkodobé přístupové "
                        "tokeny."
                    ),
                }
            },
            "type": "string",
            "pattern": "^[!-~]+$",
            "minLength": 1,
            "maxLength": 1000,
            "writeOnly": True,
        },
    },
    # One access mode at a time: a private token, or the add-on's OAuth token.
    "oneOf": [{"required": ["apiToken"]}, {"required": ["oauthToken"]}],
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
        "of a Shoptet Premium e-shop, or by Spojka's add-on (OAuth) installed in the e-shop."
    ),
    translations={
        "cs": {
            "description": (
                "E-shop na Shoptetu přes jeho REST API (api.myshoptet.com), s přístupem přes soukromý "
                "API token e-shopu s tarifem Premium, nebo přes doplněk Spojka (OAuth) nainstalovaný "
                "v e-shopu."
            )
        }
    },
    capabilities=(
        cap.ORDERS_READ,
        cap.ORDERS_WEBHOOK,
        cap.ORDERS_FULFIL,
        cap.PRODUCTS_READ,
        cap.STOCK_WRITE,
        cap.PRICES_WRITE,
        cap.OPTIONS_READ,
    ),
    settings_schema=SETTINGS_SCHEMA,
    credentials_schema=CREDENTIALS_SCHEMA,
    auth_mode="api_token",
    rate_limits=RATE_LIMITS,
)


class SettingsError(ValueError):
    """The settings cannot be used; the message says why in plain words."""


StockField = Literal["quantity", "realStock"]


@dataclass(frozen=True, slots=True)
class ShoptetSettings:
    """The settings with defaults applied."""

    api_url: str
    stock_id: int
    stock_field: StockField = "quantity"
    statuses_to_transfer: frozenset[int] = frozenset()
    status_mapping: Mapping[str, str] = field(default_factory=dict)
    fulfilled_status_id: int = DEFAULT_FULFILLED_STATUS
    cancelled_status_id: int = DEFAULT_CANCELLED_STATUS
    suppress_email: bool = False
    suppress_sms: bool = False
    suppress_documents: bool = False
    page_size: int = MAX_PAGE_SIZE
    oauth_server_url: str | None = None

    @classmethod
    def from_mapping(cls, settings: Mapping[str, Any]) -> ShoptetSettings:
        """Apply defaults and check the values the connection depends on."""
        api_url = settings.get("apiUrl", DEFAULT_API_URL)
        if not isinstance(api_url, str) or not api_url.startswith(("http://", "https://")):
            msg = "The API address must be an http:// or https:// address."
            raise SettingsError(msg)
        stock_id = _integer(settings, "stockId", DEFAULT_STOCK_ID, "The warehouse (stock) ID", minimum=1)
        stock_field = settings.get("stockField", "quantity")
        if stock_field not in ("quantity", "realStock"):
            msg = "The stock level must be written as quantity or realStock."
            raise SettingsError(msg)
        statuses = settings.get("statusesToTransfer", [])
        if not isinstance(statuses, list) or not all(_is_int(x) for x in statuses):
            msg = "The order statuses to transfer must be a list of status IDs."
            raise SettingsError(msg)
        mapping = settings.get("statusMapping", {})
        if not isinstance(mapping, Mapping) or not all(isinstance(v, str) for v in mapping.values()):
            msg = "The status mapping must map status IDs to names."
            raise SettingsError(msg)
        oauth_url = settings.get("oauthServerUrl")
        if oauth_url is not None and (
            not isinstance(oauth_url, str) or not oauth_url.startswith(("http://", "https://"))
        ):
            msg = "The OAuth server address must be an http:// or https:// address."
            raise SettingsError(msg)
        return cls(
            api_url=api_url.rstrip("/"),
            stock_id=stock_id,
            stock_field=stock_field,
            statuses_to_transfer=frozenset(statuses),
            status_mapping={str(k): v for k, v in mapping.items()},
            fulfilled_status_id=_integer(
                settings, "fulfilledStatusId", DEFAULT_FULFILLED_STATUS, "The fulfilled status"
            ),
            cancelled_status_id=_integer(
                settings, "cancelledStatusId", DEFAULT_CANCELLED_STATUS, "The cancelled status"
            ),
            suppress_email=bool(settings.get("suppressEmailSending", False)),
            suppress_sms=bool(settings.get("suppressSmsSending", False)),
            suppress_documents=bool(settings.get("suppressDocumentGeneration", False)),
            page_size=_integer(settings, "pageSize", MAX_PAGE_SIZE, "The page size", minimum=1),
            oauth_server_url=oauth_url.rstrip("/") if oauth_url else None,
        )


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _integer(
    settings: Mapping[str, Any], name: str, default: int, label: str, *, minimum: int | None = None
) -> int:
    value = settings.get(name, default)
    if not _is_int(value) or (minimum is not None and value < minimum):
        at_least = f" of {minimum} or more" if minimum is not None else ""
        msg = f"{label} must be a whole number{at_least}."
        raise SettingsError(msg)
    result: int = value
    return result
