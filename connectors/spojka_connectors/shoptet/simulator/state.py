"""The simulated e-shop's data and the control methods tests and the demo use to change it.

Everything the HTTP routes answer is read from one :class:`State`. Tests call its methods directly
(from the test thread, between requests); the control API under ``/_sim`` calls the same methods.
Money is ``Decimal``; times come from :meth:`State.now`, which tests may move with
:attr:`State.clock_offset`.
"""

from __future__ import annotations

import secrets
import threading
import uuid
from dataclasses import MISSING, dataclass, field, fields
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Final, Literal

from spojka_connectors.shoptet.dates import whole_second

DEFAULT_TOKEN: Final = "123456-p-100-simulatedtoken0000000000000000"  # noqa: S105 (simulator only)
ENDPOINT_GROUPS: Final = (
    "eshop",
    "orders",
    "products",
    "stocks",
    "pricelists",
    "webhooks",
    "payment-methods",
    "shipping-methods",
)
CENT: Final = Decimal("0.01")

#: Order statuses (id, name, marks the order paid): Shoptet's system statuses have negative ids,
#: the merchant's own positive ones.
SYSTEM_STATUSES: Final = (
    (-1, "Nevyřízená", False),
    (-2, "Vyřizuje se", False),
    (-3, "Vyřízena", False),
    (-4, "Stornována", False),
    (1, "Zaplacena", True),
    (2, "Odeslána", False),
    (3, "Připravena k vyzvednutí", False),
)


def method_guid(name: str) -> str:
    """The GUID of the simulated payment or shipping method named ``name`` (stable across runs)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, name))


@dataclass(frozen=True, slots=True)
class SimPaymentMethod:
    """A payment method of the e-shop; ``payment_type`` is its operator (id, code, name)."""

    name: str
    payment_type: tuple[int, str, str]
    description: str | None = None
    visible: bool = True
    wholesale: bool = False

    @property
    def guid(self) -> str:
        return method_guid(self.name)


@dataclass(frozen=True, slots=True)
class SimShippingMethod:
    """A shipping method of the e-shop; ``company`` is its carrier (id, code, name), if any."""

    name: str
    company: tuple[int, str, str] | None
    tracking_url: str | None = None
    description: str | None = None
    visible: bool = True
    wholesale: bool = False

    @property
    def guid(self) -> str:
        return method_guid(self.name)


@dataclass(frozen=True, slots=True)
class SimTaxClass:
    """A VAT rate of the e-shop (``taxClasses`` of ``GET /api/eshop``): its rate in each zone."""

    title: str
    rates: tuple[tuple[str, str], ...]  # (zone, rate as "21.00")
    is_default: bool = False


TAX_CLASSES: Final = (
    SimTaxClass("Základní sazba", (("Default Zone", "21.00"),), is_default=True),
    SimTaxClass("Snížená sazba", (("Default Zone", "12.00"),)),
)

PAYMENT_METHODS: Final = (
    SimPaymentMethod("Bankovní převod", (2, "bank-transfer", "Bankovní převod"), "Platba předem na účet."),
    SimPaymentMethod("Dobírka", (1, "cash-on-delivery", "Dobírka"), "Platíte při převzetí zásilky."),
    SimPaymentMethod("Platba kartou online", (4, "comgate", "ComGate"), "Visa, Mastercard, Apple Pay."),
    SimPaymentMethod("Hotově při osobním odběru", (3, "cash", "Hotově")),
)
SHIPPING_METHODS: Final = (
    SimShippingMethod(
        "PPL",
        (5, "ppl", "PPL"),
        "https://www.ppl.cz/vyhledat-zasilku?shipmentId=#PACKAGE_NUMBER#",
        "Doručení na adresu do druhého dne.",
    ),
    SimShippingMethod(
        "Zásilkovna - výdejní místo",
        (21, "zasilkovna", "Zásilkovna"),
        "https://tracking.packeta.com/cs/?id=#PACKAGE_NUMBER#",
    ),
    SimShippingMethod(
        "Česká pošta - Balík Do ruky",
        (1, "ceskaPosta", "Česká pošta"),
        "https://www.postaonline.cz/trackandtrace/-/zasilka/cislo?parcelNumbers=#PACKAGE_NUMBER#",
    ),
    SimShippingMethod("Osobní odběr - Praha", None, None, "Roháčova 15, Praha 3."),
)


def money(value: Decimal) -> Decimal:
    """Half-up to cents, the way Shoptet rounds document rows."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def net_of(gross: Decimal, vat_rate: Decimal) -> Decimal:
    return money(gross / (1 + vat_rate / 100))


@dataclass(frozen=True, slots=True)
class SimStock:
    """A warehouse of the simulated e-shop."""

    id: int
    title: str
    is_delivery_point: bool = False
    visible_on_eshop: bool = True


@dataclass(frozen=True, slots=True)
class SimPricelist:
    id: int
    name: str


@dataclass(slots=True)
class SimVariant:
    """A sellable item: a product without variants has exactly one."""

    code: str
    price: Decimal  # gross, in CZK
    vat_rate: Decimal = Decimal(21)
    ean: str | None = None
    name: str | None = None
    unit: str = "ks"
    stock: Decimal = Decimal(0)  # real stock in the e-shop's default warehouse
    claim: Decimal = Decimal(0)  # reserved by open orders
    buy_price: Decimal | None = None


@dataclass(slots=True)
class SimProduct:
    guid: str
    name: str
    variants: list[SimVariant]
    creation_time: datetime
    change_time: datetime
    type: Literal["product", "product-set"] = "product"


@dataclass(slots=True)
class SimItem:
    """One row of an order: goods, shipping or payment (Shoptet keeps all three as items)."""

    item_id: int
    item_type: str  # product, shipping, billing, discount-coupon, ...
    name: str
    amount: Decimal
    unit_price: Decimal  # gross
    vat_rate: Decimal
    code: str | None = None
    ean: str | None = None
    product_guid: str | None = None
    variant_name: str | None = None
    unit: str | None = "ks"

    @property
    def price_with_vat(self) -> Decimal:
        return money(self.unit_price * self.amount)

    @property
    def price_without_vat(self) -> Decimal:
        return net_of(self.price_with_vat, self.vat_rate)


@dataclass(slots=True)
class SimAddress:
    full_name: str
    street: str
    city: str
    zip: str
    country_code: str = "CZ"
    company: str | None = None
    company_id: str | None = None
    vat_id: str | None = None
    house_number: str | None = None


@dataclass(slots=True)
class SimOrder:
    code: str
    guid: str
    creation_time: datetime
    change_time: datetime
    status_id: int
    email: str
    phone: str | None
    billing: SimAddress
    delivery: SimAddress | None
    items: list[SimItem]
    shipping: tuple[str, str]  # (guid, name)
    payment: tuple[str, str]
    paid: bool = False
    currency: str = "CZK"
    exchange_rate: Decimal = Decimal(1)
    vat_mode: str = "Normal"
    customer_remark: str | None = None
    eshop_remark: str | None = None
    tracking_number: str | None = None
    deleted: bool = False

    @property
    def price_with_vat(self) -> Decimal:
        return sum((i.price_with_vat for i in self.items), Decimal(0))

    @property
    def price_without_vat(self) -> Decimal:
        return sum((i.price_without_vat for i in self.items), Decimal(0))


@dataclass(slots=True)
class SimWebhook:
    id: int
    event: str
    url: str
    created: datetime


@dataclass(slots=True)
class Fault:
    """A misbehaviour injected for the next ``count`` matching requests."""

    kind: Literal["latency", "status", "drop", "storm"]
    count: int = 1
    #: Only requests whose path starts with this are affected.
    path_prefix: str = "/api/"
    #: latency: seconds of delay; storm: seconds named in Retry-After.
    seconds: float = 0.0
    #: status: the HTTP status answered (500, 502, 503, ...).
    status: int = 500


@dataclass(slots=True)
class AccessToken:
    value: str
    expires_at: datetime


@dataclass(slots=True)
class StockMovement:
    id: int
    code: str
    amount_change: Decimal
    actual: Decimal
    change_time: datetime


@dataclass(slots=True)
class State:
    """The simulated e-shop. Tests change it between requests; the app reads it on every request."""

    token: str = DEFAULT_TOKEN
    eshop_id: int = 222651
    eshop_name: str = "Simulovaný obchod"
    url: str = "https://simulovany-obchod.myshoptet.com/"
    company_id: str | None = "12345678"
    vat_id: str | None = "CZ12345678"
    rights: set[str] = field(default_factory=lambda: set(ENDPOINT_GROUPS))
    stocks: list[SimStock] = field(default_factory=lambda: [SimStock(1, "Hlavní sklad")])
    default_stock_id: int = 1
    pricelists: list[SimPricelist] = field(default_factory=lambda: [SimPricelist(1, "Hlavní ceník")])
    requests: int = 0

    # -- catalogue, orders, webhooks ---------------------------------------------------------------
    products: dict[str, SimProduct] = field(default_factory=dict)  # by guid
    orders: dict[str, SimOrder] = field(default_factory=dict)  # by code
    statuses: list[tuple[int, str, bool]] = field(default_factory=lambda: list(SYSTEM_STATUSES))
    #: The methods ``GET /api/payment-methods`` and ``/api/shipping-methods`` list; an order placed
    #: with a method not listed adds it (an order only ever has a method the e-shop offers).
    tax_classes: list[SimTaxClass] = field(default_factory=lambda: list(TAX_CLASSES))
    payment_methods: list[SimPaymentMethod] = field(default_factory=lambda: list(PAYMENT_METHODS))
    shipping_methods: list[SimShippingMethod] = field(default_factory=lambda: list(SHIPPING_METHODS))
    default_status_id: int = -1
    webhooks: dict[int, SimWebhook] = field(default_factory=dict)
    signature_key: str | None = None
    #: Deliveries made so far: (url, headers, body, HTTP status or error text).
    deliveries: list[tuple[str, dict[str, str], bytes, str]] = field(default_factory=list)
    #: Events waiting to be delivered: (event, instance).
    outbox: list[tuple[str, str]] = field(default_factory=list)
    movements: list[StockMovement] = field(default_factory=list)
    #: Every API request received: (method, path, raw query string), and when (monotonic seconds).
    request_log: list[tuple[str, str, str]] = field(default_factory=list)
    request_times: list[float] = field(default_factory=list)
    #: Status changes made through the API: (order code, e-mail sent, SMS sent).
    notifications: list[tuple[str, bool, bool]] = field(default_factory=list)
    #: Every stock PATCH row received, as (productCode, field, value), for tests.
    stock_rows: list[tuple[str, str, Decimal]] = field(default_factory=list)

    # -- protocol knobs ----------------------------------------------------------------------------
    #: Maximum (and default) itemsPerPage per list, as documented; tests lower them to force pages.
    orders_per_page: int = 50
    changes_per_page: int = 1000
    products_per_page: int = 1000
    #: The leaky bucket and the 3-connection cap; off by default in tests that are not about limits.
    limits_enabled: bool = True
    bucket_size: float = 200.0
    leak_per_second: float = 10.0
    #: The bucket's clock runs this many times faster than the wall clock (benchmarks).
    time_scale: float = 1.0
    max_connections: int = 3
    #: Requests refused by the bucket or the connection cap (not by injected storms).
    throttled: int = 0
    faults: list[Fault] = field(default_factory=list)
    clock_offset: timedelta = timedelta(0)

    # -- OAuth add-on mode -------------------------------------------------------------------------
    client_id: str = "spojka-addon"
    client_secret: str = "simulated-client-secret"  # noqa: S105 (simulator only)
    #: The add-on's installation URL, as registered in the partner e-shop: Shoptet calls it with the
    #: code, and the exchange must name it as ``redirect_uri``. ``None``: any is accepted.
    install_url: str | None = None
    #: The permanent OAuth token of the add-on's installation in this e-shop (``None``: not installed).
    oauth_token: str | None = None
    contact_email: str = "info@simulovany-obchod.cz"
    install_codes: dict[str, datetime] = field(default_factory=dict)
    access_tokens: list[AccessToken] = field(default_factory=list)
    access_token_ttl: timedelta = timedelta(minutes=30)
    max_access_tokens: int = 5
    tokens_issued: int = 0
    code_window: timedelta = timedelta(seconds=5)
    #: Seconds the OAuth server's token endpoint takes to answer (a slow partner e-shop).
    oauth_delay: float = 0.0

    _lock: threading.RLock = field(default_factory=threading.RLock, repr=False)
    # Codes are unique across the e-shop (case-insensitive): one index serves 100,000 of them.
    _by_code: dict[str, tuple[SimProduct, SimVariant]] = field(default_factory=dict, repr=False)
    _next_id: int = 1000

    # -- saving (the demo keeps its shop across restarts) -------------------------------------------
    def __getstate__(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "_lock"}

    def __setstate__(self, values: dict[str, Any]) -> None:
        for name, value in values.items():
            object.__setattr__(self, name, value)
        # A shop saved before a field existed gets the field's default.
        for f in fields(self):
            if f.name not in values and f.name != "_lock":
                default = f.default_factory() if f.default_factory is not MISSING else f.default
                object.__setattr__(self, f.name, default)
        object.__setattr__(self, "_lock", threading.RLock())

    # -- time and ids --------------------------------------------------------------------------------
    def now(self) -> datetime:
        """The e-shop's clock (UTC), moved by :attr:`clock_offset`."""
        return datetime.now(UTC) + self.clock_offset

    def stamp(self) -> datetime:
        """A change time: Shoptet stamps whole seconds."""
        return whole_second(self.now())

    def next_id(self) -> int:
        with self._lock:
            self._next_id += 1
            return self._next_id

    # -- catalogue -----------------------------------------------------------------------------------
    def add_product(
        self, name: str, variants: list[SimVariant], *, kind: Literal["product", "product-set"] = "product"
    ) -> SimProduct:
        """Add a product (give one variant for a product without variants)."""
        now = self.stamp()
        product = SimProduct(str(uuid.uuid4()), name, variants, now, now, kind)
        with self._lock:
            self.products[product.guid] = product
            for variant in variants:
                self._by_code[variant.code.upper()] = (product, variant)
        return product

    def variant(self, code: str) -> tuple[SimProduct, SimVariant] | None:
        """The product and variant selling ``code`` (codes are unique across the e-shop)."""
        return self._by_code.get(code.upper())

    def set_stock(self, code: str, real_stock: Decimal) -> None:
        """Control: the physical stock of ``code`` is now ``real_stock``."""
        found = self.variant(code)
        if found is None:
            raise KeyError(code)
        self.move(found[1], real_stock - found[1].stock)

    def move(self, variant: SimVariant, change: Decimal) -> None:
        """A stock movement of ``change`` pieces of ``variant`` (recorded like Shoptet's movements)."""
        variant.stock += change
        self.movements.append(
            StockMovement(self.next_id(), variant.code, change, variant.stock, self.stamp())
        )

    # -- orders --------------------------------------------------------------------------------------
    def add_order(
        self,
        lines: list[tuple[str, Decimal]] | None = None,
        *,
        code: str | None = None,
        company: bool = True,
        currency: str = "CZK",
        exchange_rate: Decimal = Decimal(1),
        status_id: int | None = None,
        paid: bool = False,
        billing: SimAddress | None = None,
        delivery: SimAddress | None = None,
        email: str = "jana@example.cz",
        phone: str = "+420777123456",
        shipping: tuple[str, Decimal] = ("PPL", Decimal("99.00")),
        payment: tuple[str, Decimal] = ("Bankovní převod", Decimal(0)),
    ) -> SimOrder:
        """Control: a customer places an order for ``lines`` (code, amount) of catalogue items.

        Without lines, the first catalogue item is ordered once. Shipping and payment rows (name,
        price with VAT) are added as Shoptet adds them. Without ``billing``, Jana Nováková buys
        (for her company when ``company``). Emits ``order:create``.
        """
        if lines is None:
            first = next(iter(self._by_code.values()), None)
            if first is None:
                msg = "the simulated e-shop has no products to order"
                raise ValueError(msg)
            lines = [(first[1].code, Decimal(1))]
        items: list[SimItem] = []
        for line_code, amount in lines:
            found = self.variant(line_code)
            if found is None:
                raise KeyError(line_code)
            product, variant = found
            items.append(
                SimItem(
                    item_id=self.next_id(),
                    item_type="product",
                    name=product.name,
                    amount=amount,
                    unit_price=variant.price,
                    vat_rate=variant.vat_rate,
                    code=variant.code,
                    ean=variant.ean,
                    product_guid=product.guid,
                    variant_name=variant.name,
                    unit=variant.unit,
                )
            )
            variant.claim += amount
        shipping_method = (self.shipping_method(shipping[0]).guid, shipping[0])
        payment_method = (self.payment_method(payment[0]).guid, payment[0])
        items.append(SimItem(self.next_id(), "shipping", shipping[0], Decimal(1), shipping[1], Decimal(21)))
        items.append(SimItem(self.next_id(), "billing", payment[0], Decimal(1), payment[1], Decimal(21)))
        now = self.stamp()
        with self._lock:
            number = code or f"{now.year}{len(self.orders) + 1:06d}"
            billing = billing or SimAddress(
                full_name="Jana Nováková",
                street="Dlouhá 12",
                city="Praha",
                zip="110 00",
                company="Nováková s.r.o." if company else None,
                company_id="27082440" if company else None,
                vat_id="CZ27082440" if company else None,
            )
            order = SimOrder(
                code=number,
                guid=str(uuid.uuid4()),
                creation_time=now,
                change_time=now,
                status_id=self.default_status_id if status_id is None else status_id,
                email=email,
                phone=phone,
                billing=billing,
                delivery=delivery or SimAddress("Jana Nováková", "Krátká 3", "Brno", "602 00"),
                items=items,
                shipping=shipping_method,
                payment=payment_method,
                paid=paid,
                currency=currency,
                exchange_rate=exchange_rate,
            )
            self.orders[number] = order
            self.outbox.append(("order:create", number))
        return order

    def change_order(
        self,
        code: str,
        *,
        status_id: int | None = None,
        paid: bool | None = None,
        amount: Decimal | None = None,
        tracking_number: str | None = None,
    ) -> SimOrder:
        """Control: the merchant changes an order; its change time moves; webhooks are queued."""
        order = self.orders[code]
        with self._lock:
            if status_id is not None:
                order.status_id = status_id
            if amount is not None:
                goods = [i for i in order.items if i.item_type == "product"]
                goods[0].amount = amount
            if tracking_number is not None:
                order.tracking_number = tracking_number
            became_paid = paid is True and not order.paid
            if paid is not None:
                order.paid = paid
            order.change_time = max(order.change_time, self.stamp())
            self.outbox.append(("order:update", code))
            if became_paid:
                self.outbox.append(("order:paid", code))
        return order

    def delete_order(self, code: str) -> None:
        with self._lock:
            order = self.orders[code]
            order.deleted = True
            order.change_time = max(order.change_time, self.stamp())
            self.outbox.append(("order:delete", code))

    def payment_method(self, name: str) -> SimPaymentMethod:
        """The payment method named ``name``; the merchant adds it first when there is none."""
        with self._lock:
            found = next((m for m in self.payment_methods if m.name == name), None)
            if found is None:
                found = SimPaymentMethod(name, (2, "bank-transfer", "Bankovní převod"))
                self.payment_methods.append(found)
            return found

    def shipping_method(self, name: str) -> SimShippingMethod:
        """The shipping method named ``name``; the merchant adds it first when there is none."""
        with self._lock:
            found = next((m for m in self.shipping_methods if m.name == name), None)
            if found is None:
                found = SimShippingMethod(name, None)
                self.shipping_methods.append(found)
            return found

    def status_name(self, status_id: int) -> str | None:
        for sid, name, _ in self.statuses:
            if sid == status_id:
                return name
        return None

    def marks_paid(self, status_id: int) -> bool:
        return any(sid == status_id and paid for sid, _, paid in self.statuses)

    # -- faults ----------------------------------------------------------------------------------------
    def inject(self, fault: Fault) -> None:
        """Control: misbehave on the next matching requests."""
        with self._lock:
            self.faults.append(fault)

    def take_fault(self, path: str) -> Fault | None:
        """The fault the request to ``path`` suffers, if any (its count goes down by one)."""
        with self._lock:
            for fault in self.faults:
                if fault.count > 0 and path.startswith(fault.path_prefix):
                    fault.count -= 1
                    if fault.count == 0:
                        self.faults.remove(fault)
                    return fault
        return None

    # -- OAuth ---------------------------------------------------------------------------------------
    def install_code(self) -> str:
        """Control: the merchant installs the add-on; Shoptet calls the install URL with this code."""
        code = secrets.token_urlsafe(190)[:255]
        with self._lock:
            self.install_codes[code] = self.now()
        return code

    def grant_oauth_token(self) -> str:
        """A new permanent OAuth token for the installation; the previous one stops working."""
        with self._lock:
            self.oauth_token = secrets.token_urlsafe(48)
            self.access_tokens = []
            return self.oauth_token

    def uninstall(self) -> None:
        """Control: the merchant removes the add-on; its OAuth and access tokens stop working."""
        with self._lock:
            self.oauth_token = None
            self.access_tokens = []

    def issue_access_token(self) -> AccessToken | None:
        """A new short-lived API access token, or ``None`` when the maximum is alive."""
        now = self.now()
        with self._lock:
            self.access_tokens = [t for t in self.access_tokens if t.expires_at > now]
            if len(self.access_tokens) >= self.max_access_tokens:
                return None
            token = AccessToken(f"{self.eshop_id}-a-{secrets.token_hex(16)}", now + self.access_token_ttl)
            self.access_tokens.append(token)
            self.tokens_issued += 1
            return token

    def access_token_state(self, value: str) -> Literal["valid", "expired", "unknown"]:
        now = self.now()
        for token in self.access_tokens:
            if secrets.compare_digest(token.value, value):
                return "valid" if token.expires_at > now else "expired"
        return "unknown"

    def expire_access_tokens(self) -> None:
        """Control: every access token issued so far expires now."""
        now = self.now()
        with self._lock:
            for token in self.access_tokens:
                token.expires_at = min(token.expires_at, now - timedelta(seconds=1))

    def snapshot(self) -> dict[str, Any]:
        """A small summary for the control API."""
        return {
            "orders": len(self.orders),
            "products": len(self.products),
            "webhooks": [{"id": w.id, "event": w.event, "url": w.url} for w in self.webhooks.values()],
            "requests": self.requests,
            "pendingEvents": len(self.outbox),
            "addonInstalled": self.oauth_token is not None,
        }
