"""In-memory e-shop and accounting systems, and the connectors that talk to them.

Two halves:

- **the remote systems**: :class:`MemoryShop` and :class:`MemoryBooks` are plain in-process data
  holders. A test or a benchmark plays the outside world through their helpers (a customer orders:
  ``shop.add_order(...)``, ``shop.change_order(id, status=...)``; the warehouse counts:
  ``books.set_stock(...)``; the accountant types in or settles an order: ``books.add_order(...)``,
  ``books.settle(...)``) and inspects what the platform did (``shop.stock_written``,
  ``shop.fulfilled``, ``books.orders``, ``books.stock``, ``calls``). They misbehave on demand:
  :meth:`~MemorySystem.fail_next` raises a given error on the next call of a method (optionally
  after part of it is done), :meth:`~MemorySystem.commit_then_drop` performs a write and then
  raises :class:`RetriableError` as if the connection dropped after the remote committed, and
  :meth:`~MemorySystem.fail_record` fails one record of a batch.
- **the connectors**: :class:`MemoryShopConnector` (``memory-shop``, kind ``eshop``) and
  :class:`MemoryBooksConnector` (``memory-books``, kind ``accounting``). A connection's settings
  name the system it talks to (``{"system": "shop-a"}``), looked up in the module-level registry
  :data:`SYSTEMS`; a system registers itself there under its name when it is created.

Nothing sleeps: the systems answer at once, so a benchmark measures the platform, not the fake.

Reads are incremental. Every change gets a time from the system's clock (never earlier than the
previous change) and a sequence number; a read returns records in change order, pages of
``page_size`` (setting, default 50), each page with an opaque cursor (``"orders:17"``) from which a
later read resumes. A read stops before the first change made after ``until``, so a change made
during a run is read by the next run rather than skipped. A record changed again moves to the end
of the order, as in a real system's "changed since" query.

Typical use::

    shop, books = MemoryShop("shop-a"), MemoryBooks("books-a")
    shop.add_orders(Factory(seed=1).orders(10))
    async with MemoryShopConnector().open(shop.context()) as session:
        async for page in session.read_orders(None, until=datetime.now(UTC)):
            ...
"""

from __future__ import annotations

import bisect
import hashlib
import hmac
import json
from collections import Counter, deque
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, ClassVar, Generic, Literal, TypeVar

import msgspec

from spojka.connector import capabilities as cap
from spojka.connector.capabilities import (
    FulfilmentPage,
    Option,
    OrderOptions,
    OrderPage,
    OrderWrite,
    ProductPage,
    RemoteOptions,
    StockPage,
    WebhookEvent,
    WriteResult,
)
from spojka.connector.context import ConnectionContext, MemoryState
from spojka.connector.errors import AuthExpiredError, ConfigError, ConnectorError, FatalError, RetriableError
from spojka.connector.model import ZERO, Fulfilment, Order, Product, StockLevel
from spojka.connector.spec import CheckResult, ConnectorSpec
from spojka.connector.testing import factories

K = TypeVar("K")
V = TypeVar("V")

Outcome = Literal["created", "updated", "unchanged", "failed"]

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000
SIGNATURE_HEADER = "X-Memory-Signature"


def utc_now() -> datetime:
    return datetime.now(UTC)


# -- the registry of systems ----------------------------------------------------------------------
#: Systems by name; a connection's ``system`` setting picks one. Systems add themselves on creation.
SYSTEMS: dict[str, MemorySystem] = {}


def reset_systems() -> None:
    """Forget every registered system (between tests that reuse names)."""
    SYSTEMS.clear()


# -- change logs ----------------------------------------------------------------------------------
@dataclass(slots=True)
class _Entry(Generic[V]):
    seq: int
    at: datetime
    value: V


class ChangeLog(Generic[K, V]):
    """Current values by key, readable in the order of their last change ("changed since" queries)."""

    def __init__(self) -> None:
        self._current: dict[K, _Entry[V]] = {}
        # Append-only (seq, key); an entry is stale once its key changed again.
        self._log: list[tuple[int, K]] = []
        self._seq = 0

    def put(self, key: K, value: V, at: datetime) -> V:
        self._seq += 1
        self._current[key] = _Entry(self._seq, at, value)
        self._log.append((self._seq, key))
        return value

    def get(self, key: K) -> V | None:
        entry = self._current.get(key)
        return entry.value if entry else None

    def after(self, seq: int, until: datetime, limit: int) -> list[tuple[int, V]]:
        """Up to ``limit`` current values changed after ``seq`` and not after ``until``, oldest first."""
        index = bisect.bisect_right(self._log, seq, key=lambda item: item[0])
        found: list[tuple[int, V]] = []
        while index < len(self._log) and len(found) < limit:
            entry_seq, key = self._log[index]
            index += 1
            entry = self._current.get(key)
            if entry is None or entry.seq != entry_seq:
                continue
            # Change times never go down along the log, so nothing later is due either.
            if entry.at > until:
                break
            found.append((entry_seq, entry.value))
        return found

    @property
    def last_seq(self) -> int:
        return self._seq

    def view(self) -> Mapping[K, V]:
        return _LogView(self._current)


class _LogView(Mapping[K, V]):
    """A read-only live view of a change log's current values."""

    def __init__(self, current: dict[K, _Entry[V]]) -> None:
        self._current = current

    def __getitem__(self, key: K) -> V:
        return self._current[key].value

    def __iter__(self) -> Iterator[K]:
        return iter(self._current)

    def __len__(self) -> int:
        return len(self._current)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({len(self)} items)"


def _format_cursor(stream: str, seq: int) -> str:
    return f"{stream}:{seq}"


def _parse_cursor(stream: str, cursor: str | None) -> int:
    if cursor is None:
        return 0
    prefix, _, number = cursor.partition(":")
    if prefix != stream or not number.isdigit():
        raise FatalError(
            f"The stored reading position {cursor!r} was not written by this connector's {stream} "
            "stream. Reset the flow's position to read everything again."
        )
    return int(number)


# -- faults ---------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class _Fault:
    error: Exception
    #: Records (writes) or pages (reads) done before raising; None: the whole call, then raise.
    after: int | None


class _Call:
    """One call of a remote method, carrying the fault it is due to suffer, if any."""

    def __init__(self, fault: _Fault | None) -> None:
        self.fault = fault
        if fault is not None and fault.after == 0:
            raise fault.error

    def before(self, index: int) -> None:
        """Raise before record (or page) ``index`` if the fault strikes there."""
        if self.fault is not None and self.fault.after is not None and index >= self.fault.after:
            raise self.fault.error

    def finish(self) -> None:
        """Raise now if the fault strikes after the work is done."""
        if self.fault is not None:
            raise self.fault.error


# -- the systems ----------------------------------------------------------------------------------
class MemorySystem:
    """What both in-memory systems share: name, token, clock, call counters and fault injection."""

    kind: ClassVar[str] = ""
    #: Methods a fault can be injected into (the session's capability methods, ``check`` and ``open``).
    METHODS: ClassVar[frozenset[str]] = frozenset()
    #: Of those, the ones that change the remote (``commit_then_drop`` makes sense only for them).
    WRITES: ClassVar[frozenset[str]] = frozenset()

    def __init__(
        self,
        name: str,
        *,
        token: str,
        clock: Callable[[], datetime] = utc_now,
        register: bool = True,
    ) -> None:
        self.name = name
        self.token = token
        self.clock = clock
        #: Calls per method (capability methods, ``check`` and ``open``), faulty ones included.
        self.calls: Counter[str] = Counter()
        self._faults: dict[str, deque[_Fault]] = {}
        self._record_faults: dict[str, tuple[str, bool]] = {}
        self._last_change: datetime | None = None
        if register:
            SYSTEMS[name] = self

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r})"

    # -- time -----------------------------------------------------------------------------------
    def tick(self) -> datetime:
        """The time of a change now: the clock's, but never earlier than the previous change's."""
        now = self.clock()
        if self._last_change is not None and now < self._last_change:
            now = self._last_change
        self._last_change = now
        return now

    # -- connecting -----------------------------------------------------------------------------
    def settings(self, **extra: Any) -> dict[str, Any]:
        """Connection settings that select this system (plus ``extra``, e.g. ``page_size=10``)."""
        return {"system": self.name, **extra}

    def credentials(self) -> dict[str, str]:
        return {"token": self.token}

    def context(self, *, connection_id: str | None = None, **settings: Any) -> ConnectionContext:
        """A :class:`ConnectionContext` for a session on this system."""
        return ConnectionContext(
            connection_id=connection_id or f"memory-{self.name}",
            settings=self.settings(**settings),
            credentials=self.credentials(),
            state=MemoryState(),
        )

    # -- faults ---------------------------------------------------------------------------------
    def fail_next(self, method: str, error: Exception, *, after: int = 0) -> None:
        """The next call of ``method`` raises ``error`` (usually a :class:`ConnectorError`).

        ``after`` lets part of the call happen first: a batch write commits that many records, a
        read yields that many pages, then the error is raised. Calls queue: two ``fail_next`` for
        one method fail its next two calls.
        """
        self._check_method(method)
        if after < 0:
            raise ValueError("after must not be negative")
        self._faults.setdefault(method, deque()).append(_Fault(error, after))

    def commit_then_drop(self, method: str) -> None:
        """The next call of write ``method`` does its work, then raises :class:`RetriableError`.

        As if the remote committed and the connection dropped before its answer arrived: the
        platform must find what was written (by external id) rather than write it twice.
        """
        self._check_method(method)
        if method not in self.WRITES:
            raise ValueError(f"{method} does not write; commit_then_drop needs one of {sorted(self.WRITES)}")
        error = RetriableError(
            f"The connection to {self.name} dropped before its answer arrived.", details={"injected": True}
        )
        self._faults.setdefault(method, deque()).append(_Fault(error, None))

    def fail_record(self, key: str, message: str, *, retriable: bool = False) -> None:
        """The next write of the record ``key`` (ext id, code, order id) fails with ``message``.

        Only that record fails: its neighbours in the batch go through.
        """
        self._record_faults[key] = (message, retriable)

    def clear_faults(self) -> None:
        """Drop every fault still waiting."""
        self._faults.clear()
        self._record_faults.clear()

    def pending_faults(self, method: str) -> int:
        """How many injected faults still wait for ``method``."""
        return len(self._faults.get(method, ()))

    def _check_method(self, method: str) -> None:
        if method not in self.METHODS:
            raise ValueError(f"{type(self).__name__} has no method {method!r}; known: {sorted(self.METHODS)}")

    def _call(self, method: str) -> _Call:
        self.calls[method] += 1
        queue = self._faults.get(method)
        return _Call(queue.popleft() if queue else None)

    def _record_fault(self, key: str) -> WriteResult | None:
        fault = self._record_faults.pop(key, None)
        if fault is None:
            return None
        message, retriable = fault
        return WriteResult(key=key, outcome="failed", message=message, retriable=retriable)


class MemoryShop(MemorySystem):
    """An e-shop: orders, a catalogue, stock written to it, fulfilments and signed webhooks.

    ``orders`` and ``products`` are live read-only views (source id → :class:`Order`, code →
    :class:`Product`); change them through :meth:`add_order`, :meth:`change_order`,
    :meth:`add_product` and :meth:`change_product`, which stamp the change time.
    """

    kind = "eshop"
    METHODS = frozenset(
        {
            "check",
            "open",
            "read_orders",
            "get_order",
            "verify_webhook",
            "register_webhooks",
            "write_stock",
            "write_purchase_prices",
            "read_products",
            "fulfil_order",
            "read_options",
        }
    )
    WRITES = frozenset({"register_webhooks", "write_stock", "write_purchase_prices", "fulfil_order"})

    def __init__(
        self,
        name: str = "shop",
        *,
        token: str = "shop-token-0000",  # noqa: S107 - a fake system's fake token
        webhook_key: str = "shop-webhook-key",
        clock: Callable[[], datetime] = utc_now,
        register: bool = True,
        fulfil_touches_order: bool = True,
    ) -> None:
        super().__init__(name, token=token, clock=clock, register=register)
        self.webhook_key = webhook_key
        #: Marking an order done changes its status and change time, as real shops do (and so the
        #: next orders run sees it changed); turn off to keep orders still.
        self.fulfil_touches_order = fulfil_touches_order
        self._orders: ChangeLog[str, Order] = ChangeLog()
        self._products: ChangeLog[str, Product] = ChangeLog()
        #: Sellable code (product or variant) → the code of its product.
        self._codes: dict[str, str] = {}
        #: Code → the last available quantity written by the platform.
        self.stock_written: dict[str, Decimal] = {}
        #: How many levels the platform has written (every record, changed or not).
        self.stock_writes = 0
        #: Code → the last purchase price written by the platform.
        self.prices_written: dict[str, Decimal] = {}
        #: Source id → the fulfilment the platform marked the order done with.
        self.fulfilled: dict[str, Fulfilment] = {}
        #: URLs the platform registered for webhooks.
        self.webhook_urls: list[str] = []
        #: What ``read_options`` lists besides the values of the stored orders (which it adds).
        self.choices: RemoteOptions = SHOP_CHOICES

    @property
    def orders(self) -> Mapping[str, Order]:
        return self._orders.view()

    @property
    def products(self) -> Mapping[str, Product]:
        return self._products.view()

    # -- the outside world ----------------------------------------------------------------------
    def add_order(self, order: Order) -> Order:
        """A customer places ``order`` (or it is replaced, same source id). Returns it as stored,
        with ``changed_at`` set to the change time."""
        at = self.tick()
        return self._orders.put(order.source_id, msgspec.structs.replace(order, changed_at=at), at)

    def add_orders(self, orders: Iterable[Order]) -> list[Order]:
        return [self.add_order(order) for order in orders]

    def change_order(self, source_id: str, **changes: Any) -> Order:
        """Change fields of a stored order (``status=...``, ``cancelled=True``, ``lines=...``)."""
        current = self._orders.get(source_id)
        if current is None:
            raise KeyError(f"{self} has no order {source_id!r}")
        at = self.tick()
        return self._orders.put(source_id, msgspec.structs.replace(current, **changes, changed_at=at), at)

    def add_product(self, product: Product) -> Product:
        """Put ``product`` (and its variants) in the catalogue, or replace it."""
        for variant in product.variants:
            self._codes[variant.code] = product.code
        if not product.variants:
            self._codes[product.code] = product.code
        return self._products.put(product.code, product, self.tick())

    def add_products(self, products: Iterable[Product]) -> list[Product]:
        return [self.add_product(product) for product in products]

    def change_product(self, code: str, **changes: Any) -> Product:
        current = self._products.get(code)
        if current is None:
            raise KeyError(f"{self} has no product {code!r}")
        return self.add_product(msgspec.structs.replace(current, **changes))

    def has_code(self, code: str) -> bool:
        """Whether ``code`` is a sellable item (a product without variants, or a variant)."""
        return code in self._codes

    def sign(self, body: bytes) -> str:
        """The signature header's value for ``body``: HMAC-SHA256 with the webhook key, hex."""
        return hmac.new(self.webhook_key.encode(), body, hashlib.sha256).hexdigest()

    def webhook_for(
        self, event: str, order_id: str, *, occurred_at: datetime | None = None
    ) -> tuple[dict[str, str], bytes]:
        """A signed delivery (headers, raw body) of ``event`` (e.g. ``"order:create"``) for an order.

        Sending the same pair twice is a repeated delivery (same dedup key).
        """
        when = occurred_at or self.tick()
        body = json.dumps(
            {
                "eshopId": self.name,
                "event": event,
                "eventCreated": when.isoformat(),
                "eventInstance": order_id,
            },
            separators=(",", ":"),
        ).encode()
        return {"Content-Type": "application/json", SIGNATURE_HEADER: self.sign(body)}, body

    def options(self) -> RemoteOptions:
        """:attr:`choices` plus every status, method and VAT rate the stored orders carry, so an
        order's values are always among the options."""
        statuses = [(o.value, o.label) for o in self.choices.order_statuses]
        payments = [(o.value, o.label) for o in self.choices.payment_methods]
        shippings = [(o.value, o.label) for o in self.choices.shipping_methods]
        rates = [(o.value, o.label) for o in self.choices.vat_rates]
        for order in self.orders.values():
            statuses.append((order.status, order.status_name or order.status))
            if order.payment is not None:
                payments.append((order.payment.code, order.payment.name or order.payment.code))
            if order.shipping is not None:
                shippings.append((order.shipping.code, order.shipping.name or order.shipping.code))
            rates.extend((vat_key(line.vat_rate), f"{vat_key(line.vat_rate)} %") for line in order.lines)
        return msgspec.structs.replace(
            self.choices,
            order_statuses=_distinct(statuses),
            payment_methods=_distinct(payments),
            shipping_methods=_distinct(shippings),
            vat_rates=_distinct(rates),
        )


def vat_key(rate: Decimal) -> str:
    """A VAT percentage as a link's VAT map keys it: ``Decimal("21.00")`` → ``"21"``."""
    text = format(rate.normalize(), "f")
    return "0" if text in ("-0", "") else text


def _options(pairs: Iterable[tuple[str, str]]) -> tuple[Option, ...]:
    return tuple(Option(value=value, label=label) for value, label in pairs)


def _distinct(pairs: Iterable[tuple[str, str]]) -> tuple[Option, ...]:
    """One option per non-empty value, the first label seen winning, in first-seen order."""
    seen: dict[str, str] = {}
    for value, label in pairs:
        if value and value not in seen:
            seen[value] = label or value
    return _options(seen.items())


#: The memory shop's choices: those of the orders :class:`~.factories.Factory` makes, and the
#: statuses ``fulfil_order`` sets.
SHOP_CHOICES = RemoteOptions(
    order_statuses=_distinct(
        [*factories.ORDER_STATUSES, ("fulfilled", "Vyřízena"), ("cancelled", "Stornována")]
    ),
    payment_methods=_options((code, name) for code, name, _ in factories.PAYMENT_METHODS),
    shipping_methods=_options((code, name) for code, name, _ in factories.SHIPPING_METHODS),
    vat_rates=_options((vat_key(rate), f"{vat_key(rate)} %") for rate in factories.VAT_RATES),
)

#: The memory books' choices: what its orders' options may name (the factory's default VAT codes).
BOOKS_CHOICES = RemoteOptions(
    order_statuses=_options([("received", "Přijatá"), ("approved", "Schválená"), ("done", "Vyřízená")]),
    payment_methods=_options(
        [("prevodem", "Převodem"), ("dobirka", "Dobírka"), ("kartou", "Platební kartou")]
    ),
    shipping_methods=_options([("PPL", "PPL"), ("ZASILKOVNA", "Zásilkovna"), ("POSTA", "Česká pošta")]),
    vat_rates=_options([("high", "Základní sazba"), ("low", "Snížená sazba"), ("none", "Bez DPH")]),
    number_series=_options([("OBJ", "Přijaté objednávky"), ("ESHOP", "Objednávky z e-shopu")]),
    warehouses=_options([("HLAVNI", "Hlavní sklad"), ("PRODEJNA", "Prodejna")]),
)


@dataclass(slots=True)
class StoredOrder:
    """A received order in the books, as the accounting system keeps it."""

    target_id: str
    ext_id: str
    #: The accounting document's own number (e.g. ``OBJ00001``).
    number: str
    order: Order
    options: OrderOptions
    created_at: datetime
    #: (code, warehouse) → quantity this order reserved.
    reserved: dict[tuple[str, str], Decimal] = field(default_factory=dict)
    invoice_id: str | None = None
    settled: Fulfilment | None = None


@dataclass(slots=True)
class StoredInvoice:
    """An issued invoice made from a received order."""

    target_id: str
    order_target_id: str
    ext_id: str
    number: str
    order: Order
    created_at: datetime


class MemoryBooks(MemorySystem):
    """An accounting company: received orders, invoices, stock cards, stock levels, settlements.

    ``orders`` (target id → :class:`StoredOrder`), ``invoices`` and ``products`` (code → stock card)
    are plain dicts; ``stock`` ((code, warehouse) → :class:`StockLevel`) and ``fulfilments`` (target
    id → :class:`Fulfilment`) are live read-only views: change them with :meth:`set_stock` and
    :meth:`settle`, which stamp the change time.
    """

    kind = "accounting"
    METHODS = frozenset(
        {
            "check",
            "open",
            "find_orders",
            "create_orders",
            "delete_order",
            "create_invoice",
            "read_stock",
            "upsert_products",
            "read_fulfilments",
            "read_options",
        }
    )
    WRITES = frozenset({"create_orders", "delete_order", "create_invoice", "upsert_products"})

    def __init__(
        self,
        name: str = "books",
        *,
        token: str = "books-token-0000",  # noqa: S107 - a fake system's fake token
        clock: Callable[[], datetime] = utc_now,
        register: bool = True,
    ) -> None:
        super().__init__(name, token=token, clock=clock, register=register)
        self.orders: dict[str, StoredOrder] = {}
        self.invoices: dict[str, StoredInvoice] = {}
        #: Stock cards by code.
        self.products: dict[str, Product] = {}
        #: Attempts to create an order whose ext id already exists (each one refused).
        self.duplicate_attempts = 0
        self._by_ext: dict[str, str] = {}
        self._stock: ChangeLog[tuple[str, str], StockLevel] = ChangeLog()
        self._fulfilments: ChangeLog[str, Fulfilment] = ChangeLog()
        self._next_order = 1
        self._next_invoice = 1
        #: What ``read_options`` lists (the values ``OrderOptions`` may carry here).
        self.choices: RemoteOptions = BOOKS_CHOICES

    @property
    def stock(self) -> Mapping[tuple[str, str], StockLevel]:
        return self._stock.view()

    @property
    def fulfilments(self) -> Mapping[str, Fulfilment]:
        return self._fulfilments.view()

    # -- the outside world ----------------------------------------------------------------------
    def set_stock(
        self,
        code: str,
        on_hand: Decimal | int,
        *,
        warehouse: str = "",
        reserved: Decimal | int | None = None,
        available: Decimal | int | None = None,
        purchase_price: Decimal | None = None,
    ) -> StockLevel:
        """The warehouse counts ``code``: set its level (``reserved=None`` keeps the reservations)."""
        current = self._stock.get((code, warehouse))
        level = StockLevel(
            code=code,
            warehouse=warehouse,
            on_hand=Decimal(on_hand),
            reserved=Decimal(reserved) if reserved is not None else (current.reserved if current else ZERO),
            available=Decimal(available) if available is not None else None,
            purchase_price=purchase_price
            if purchase_price is not None
            else (current.purchase_price if current else None),
        )
        return self._stock.put((code, warehouse), level, self.tick())

    def add_order(
        self, order: Order, *, ext_id: str = "", options: OrderOptions | None = None
    ) -> StoredOrder:
        """Store a received order, as typed in by hand (no ``ext_id``) or as a write stores it."""
        if ext_id and ext_id in self._by_ext:
            raise ValueError(f"{self} already has an order with external id {ext_id!r}")
        number = self._next_order
        self._next_order += 1
        options = options or OrderOptions()
        stored = StoredOrder(
            target_id=str(number),
            ext_id=ext_id,
            number=f"{options.number_series or 'OBJ'}{number:05d}",
            order=order,
            options=options,
            created_at=self.tick(),
        )
        self.orders[stored.target_id] = stored
        if ext_id:
            self._by_ext[ext_id] = stored.target_id
        return stored

    def load_stock(self, levels: Iterable[StockLevel]) -> None:
        """Put many levels at once, exactly as given."""
        for level in levels:
            self._stock.put((level.code, level.warehouse), level, self.tick())

    def add_product(self, product: Product) -> Product:
        """Add a stock card (a product with variants adds a card per variant too)."""
        self.products[product.code] = product
        return product

    def add_products(self, products: Iterable[Product]) -> list[Product]:
        return [self.add_product(product) for product in products]

    def has_card(self, code: str) -> bool:
        """Whether a stock card (a product, or a variant of one) has ``code``."""
        return code in self._card_codes()

    def order_by_ext_id(self, ext_id: str) -> StoredOrder | None:
        target_id = self._by_ext.get(ext_id)
        return self.orders.get(target_id) if target_id else None

    def settle(
        self,
        target_id: str,
        carrier: str = "",
        tracking: str = "",
        *,
        status: str = "fulfilled",
        tracking_url: str = "",
    ) -> Fulfilment:
        """The accountant settles (or cancels, ``status="cancelled"``) a received order."""
        stored = self.orders.get(target_id)
        if stored is None:
            raise KeyError(f"{self} has no order {target_id!r}")
        if status not in ("fulfilled", "cancelled"):
            raise ValueError("status is 'fulfilled' or 'cancelled'")
        at = self.tick()
        fulfilment = Fulfilment(
            target_id=target_id,
            order_number=stored.order.number,
            status="fulfilled" if status == "fulfilled" else "cancelled",
            carrier=carrier,
            tracking_number=tracking,
            tracking_url=tracking_url,
            settled_at=at,
        )
        stored.settled = fulfilment
        return self._fulfilments.put(target_id, fulfilment, at)

    # -- internals the session uses -------------------------------------------------------------
    def _card_codes(self) -> set[str]:
        codes = set(self.products)
        for product in self.products.values():
            codes.update(v.code for v in product.variants)
        return codes

    def _reserve(self, key: tuple[str, str], quantity: Decimal) -> None:
        current = self._stock.get(key)
        if current is None:
            current = StockLevel(code=key[0], warehouse=key[1], on_hand=ZERO)
        reserved = msgspec.structs.replace(current, reserved=current.reserved + quantity)
        self._stock.put(key, reserved, self.tick())


# -- settings -------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class _Settings:
    system: str
    page_size: int = DEFAULT_PAGE_SIZE
    strict_codes: bool = False
    warehouse: str = ""


def _parse_settings(settings: Mapping[str, Any], allowed: frozenset[str]) -> _Settings:
    unknown = sorted(set(settings) - allowed)
    if unknown:
        raise ConfigError(f"Unknown settings: {', '.join(unknown)}. Known: {', '.join(sorted(allowed))}.")
    system = settings.get("system")
    if not isinstance(system, str) or not system:
        raise ConfigError("The setting 'system' must name an in-memory system.")
    page_size = settings.get("page_size", DEFAULT_PAGE_SIZE)
    if isinstance(page_size, bool) or not isinstance(page_size, int) or not 1 <= page_size <= MAX_PAGE_SIZE:
        raise ConfigError(f"The setting 'page_size' must be a whole number from 1 to {MAX_PAGE_SIZE}.")
    strict = settings.get("strict_codes", False)
    if not isinstance(strict, bool):
        raise ConfigError("The setting 'strict_codes' must be true or false.")
    warehouse = settings.get("warehouse", "")
    if not isinstance(warehouse, str):
        raise ConfigError("The setting 'warehouse' must be text.")
    return _Settings(system=system, page_size=page_size, strict_codes=strict, warehouse=warehouse)


S = TypeVar("S", bound=MemorySystem)


def _find_system(name: str, kind: type[S]) -> S:
    system = SYSTEMS.get(name)
    if system is None:
        raise ConfigError(f"There is no in-memory system named {name!r}.")
    if not isinstance(system, kind):
        raise ConfigError(
            f"The in-memory system {name!r} is an {system.kind}, not what this connector talks to."
        )
    return system


def _token_ok(system: MemorySystem, credentials: Mapping[str, str]) -> bool:
    token = credentials.get("token")
    return isinstance(token, str) and hmac.compare_digest(token.encode(), system.token.encode())


def _check(
    kind: type[MemorySystem],
    settings: Mapping[str, Any],
    credentials: Mapping[str, str],
    allowed: frozenset[str],
) -> CheckResult:
    try:
        parsed = _parse_settings(settings, allowed)
        system = _find_system(parsed.system, kind)
    except ConfigError as exc:
        return CheckResult(ok=False, message=exc.message)
    try:
        system._call("check").finish()
    except ConnectorError as exc:
        return CheckResult(ok=False, message=exc.message, details={"error": type(exc).__name__})
    if not _token_ok(system, credentials):
        return CheckResult(ok=False, message=f"The in-memory system {system.name!r} refused the token.")
    return CheckResult(
        ok=True,
        message=f"Connected to the in-memory {system.kind} {system.name!r}.",
        details={"system": system.name},
    )


def _results_for(keys: Sequence[str], call: _Call, one: Callable[[int], WriteResult]) -> list[WriteResult]:
    results: list[WriteResult] = []
    for index in range(len(keys)):
        call.before(index)
        results.append(one(index))
    call.finish()
    return results


def _require_aware(until: datetime) -> None:
    if until.tzinfo is None:
        raise TypeError("until must be a timezone-aware datetime")


# -- sessions -------------------------------------------------------------------------------------
class _Session(Generic[S]):
    def __init__(self, system: S, settings: _Settings, context: ConnectionContext) -> None:
        self.system = system
        self.settings = settings
        self.context = context
        self.closed = False

    def _call(self, method: str) -> _Call:
        if self.closed:
            raise FatalError(f"The session on {self.system.name!r} is closed; open a new one.")
        return self.system._call(method)

    async def _pages(
        self, method: str, log: ChangeLog[Any, V], stream: str, cursor: str | None, until: datetime
    ) -> AsyncIterator[tuple[list[V], str]]:
        call = self._call(method)
        _require_aware(until)
        position = _parse_cursor(stream, cursor)
        page = 0
        while True:
            call.before(page)
            found = log.after(position, until, self.settings.page_size)
            if not found:
                break
            position = found[-1][0]
            yield [value for _, value in found], _format_cursor(stream, position)
            page += 1
            if len(found) < self.settings.page_size:
                break
        call.finish()


class MemoryShopSession(_Session[MemoryShop]):
    """A session on a :class:`MemoryShop`: implements every e-shop capability protocol."""

    async def read_orders(self, cursor: str | None, *, until: datetime) -> AsyncIterator[OrderPage]:
        async for orders, next_cursor in self._pages(
            "read_orders", self.system._orders, "orders", cursor, until
        ):
            yield OrderPage(orders=tuple(orders), cursor=next_cursor)

    async def get_order(self, source_id: str) -> Order | None:
        self._call("get_order").finish()
        return self.system._orders.get(source_id)

    async def verify_webhook(self, headers: Mapping[str, str], body: bytes) -> list[WebhookEvent]:
        self._call("verify_webhook").finish()
        lowered = {k.lower(): v for k, v in headers.items()}
        signature = lowered.get(SIGNATURE_HEADER.lower(), "")
        if not hmac.compare_digest(signature.encode(), self.system.sign(body).encode()):
            raise AuthExpiredError("The webhook's signature does not match the shop's webhook key.")
        try:
            payload = json.loads(body)
            event, instance, created = payload["event"], payload["eventInstance"], payload["eventCreated"]
            occurred = datetime.fromisoformat(created)
        except (ValueError, KeyError, TypeError) as exc:
            raise FatalError(f"The webhook body is not one the shop sends: {exc}") from exc
        return [
            WebhookEvent(
                event=str(event),
                object_id=str(instance),
                dedup_key=f"{event}:{instance}:{created}",
                occurred_at=occurred,
            )
        ]

    async def register_webhooks(self, url: str) -> None:
        call = self._call("register_webhooks")
        if url not in self.system.webhook_urls:
            self.system.webhook_urls.append(url)
        call.finish()

    async def write_stock(self, levels: Sequence[StockLevel]) -> list[WriteResult]:
        shop = self.system

        def one(index: int) -> WriteResult:
            level = levels[index]
            if (failed := shop._record_fault(level.code)) is not None:
                return failed
            if not shop.has_code(level.code):
                return _unknown_code(level.code)
            quantity = level.available if level.available is not None else level.on_hand - level.reserved
            shop.stock_written[level.code] = quantity
            shop.stock_writes += 1
            return WriteResult(key=level.code, outcome="updated", target_id=level.code)

        return _results_for([lvl.code for lvl in levels], self._call("write_stock"), one)

    async def write_purchase_prices(self, levels: Sequence[StockLevel]) -> list[WriteResult]:
        shop = self.system

        def one(index: int) -> WriteResult:
            level = levels[index]
            if (failed := shop._record_fault(level.code)) is not None:
                return failed
            if not shop.has_code(level.code):
                return _unknown_code(level.code)
            if level.purchase_price is None:
                return WriteResult(key=level.code, outcome="unchanged", message="No purchase price given.")
            shop.prices_written[level.code] = level.purchase_price
            product = shop._products.get(shop._codes[level.code])
            if product is not None:
                shop.add_product(_with_purchase_price(product, level.code, level.purchase_price))
            return WriteResult(key=level.code, outcome="updated", target_id=level.code)

        return _results_for([lvl.code for lvl in levels], self._call("write_purchase_prices"), one)

    async def read_products(self, cursor: str | None, *, until: datetime) -> AsyncIterator[ProductPage]:
        pages = self._pages("read_products", self.system._products, "products", cursor, until)
        async for products, next_cursor in pages:
            yield ProductPage(products=tuple(products), cursor=next_cursor)

    async def fulfil_order(self, source_id: str, fulfilment: Fulfilment) -> WriteResult:
        shop = self.system

        def one(_: int) -> WriteResult:
            if (failed := shop._record_fault(source_id)) is not None:
                return failed
            order = shop._orders.get(source_id)
            if order is None:
                return WriteResult(
                    key=source_id, outcome="failed", message=f"The shop has no order {source_id}."
                )
            if shop.fulfilled.get(source_id) == fulfilment:
                return WriteResult(key=source_id, outcome="unchanged", target_id=source_id)
            shop.fulfilled[source_id] = fulfilment
            if shop.fulfil_touches_order:
                done = fulfilment.status == "fulfilled"
                shop.change_order(
                    source_id,
                    status=(fulfilment.eshop_status or "fulfilled") if done else "cancelled",
                    status_name="Vyřízena" if done else "Stornována",
                    cancelled=order.cancelled or not done,
                )
            return WriteResult(key=source_id, outcome="updated", target_id=source_id)

        return _results_for([source_id], self._call("fulfil_order"), one)[0]

    async def read_options(self) -> RemoteOptions:
        call = self._call("read_options")
        options = self.system.options()
        call.finish()
        return options


def _unknown_code(code: str) -> WriteResult:
    return WriteResult(
        key=code, outcome="missing", message=f"The e-shop has no product or variant with code {code}."
    )


def _with_purchase_price(product: Product, code: str, price: Decimal) -> Product:
    if product.code == code:
        return msgspec.structs.replace(product, purchase_price=price)
    variants = tuple(
        msgspec.structs.replace(v, purchase_price=price) if v.code == code else v for v in product.variants
    )
    return msgspec.structs.replace(product, variants=variants)


class MemoryBooksSession(_Session[MemoryBooks]):
    """A session on a :class:`MemoryBooks`: every accounting capability except ``orders.update``."""

    async def find_orders(self, ext_ids: Sequence[str]) -> dict[str, str]:
        self._call("find_orders").finish()
        found = self.system._by_ext
        return {ext_id: found[ext_id] for ext_id in ext_ids if ext_id in found}

    async def create_orders(self, writes: Sequence[OrderWrite]) -> list[WriteResult]:
        call = self._call("create_orders")
        needs_cards = self.settings.strict_codes or any(w.options.reserve_stock for w in writes)
        cards = self.system._card_codes() if needs_cards else set()
        return _results_for(
            [w.ext_id for w in writes], call, lambda index: self._create(writes[index], cards)
        )

    def _create(self, write: OrderWrite, cards: set[str]) -> WriteResult:
        books = self.system
        key = write.ext_id
        if (failed := books._record_fault(key)) is not None:
            return failed
        existing = books._by_ext.get(key)
        if existing is not None:
            books.duplicate_attempts += 1
            return WriteResult(
                key=key,
                outcome="failed",
                target_id=existing,
                message=f"An order with external id {key} already exists ({books.orders[existing].number}).",
            )
        order = write.order
        if self.settings.strict_codes:
            missing = sorted(
                {ln.code for ln in order.lines if ln.kind == "item" and ln.code and ln.code not in cards}
            )
            if missing:
                return WriteResult(
                    key=key,
                    outcome="failed",
                    message=(
                        f"Order {order.number}: no stock card for code {', '.join(missing)}. "
                        "Create the stock card (run the products flow) or turn off strict codes."
                    ),
                )
        stored = books.add_order(order, ext_id=key, options=write.options)
        if write.options.reserve_stock:
            warehouse = write.options.warehouse or self.settings.warehouse
            for line in order.lines:
                where = (line.code, warehouse)
                # Only stock items reserve; a line without a card is a text line in accounting.
                if (
                    line.kind != "item"
                    or not line.code
                    or (where not in books.stock and line.code not in cards)
                ):
                    continue
                books._reserve(where, line.quantity)
                stored.reserved[where] = stored.reserved.get(where, ZERO) + line.quantity
        return WriteResult(
            key=key, outcome="created", target_id=stored.target_id, message=f"Received order {stored.number}."
        )

    async def delete_order(self, target_id: str) -> WriteResult:
        books = self.system

        def one(_: int) -> WriteResult:
            if (failed := books._record_fault(target_id)) is not None:
                return failed
            stored = books.orders.get(target_id)
            if stored is None:
                return WriteResult(key=target_id, outcome="unchanged", message="Already deleted.")
            if stored.settled is not None or stored.invoice_id is not None:
                why = "settled" if stored.settled is not None else "invoiced"
                return WriteResult(
                    key=target_id,
                    outcome="failed",
                    target_id=target_id,
                    message=f"Order {stored.number} is already {why} in accounting and cannot be deleted.",
                )
            for where, quantity in stored.reserved.items():
                books._reserve(where, -quantity)
            del books.orders[target_id]
            books._by_ext.pop(stored.ext_id, None)
            return WriteResult(
                key=target_id,
                outcome="updated",
                target_id=target_id,
                message=f"Deleted order {stored.number}.",
            )

        return _results_for([target_id], self._call("delete_order"), one)[0]

    async def create_invoice(self, order_target_id: str, write: OrderWrite) -> WriteResult:
        books = self.system

        def one(_: int) -> WriteResult:
            key = write.ext_id
            if (failed := books._record_fault(key)) is not None:
                return failed
            stored = books.orders.get(order_target_id)
            if stored is None:
                return WriteResult(
                    key=key, outcome="failed", message=f"Accounting has no order {order_target_id}."
                )
            if stored.invoice_id is not None:
                return WriteResult(key=key, outcome="unchanged", target_id=stored.invoice_id)
            number = books._next_invoice
            books._next_invoice += 1
            invoice = StoredInvoice(
                target_id=f"inv-{number}",
                order_target_id=order_target_id,
                ext_id=key,
                number=f"FV{number:06d}",
                order=write.order,
                created_at=books.tick(),
            )
            books.invoices[invoice.target_id] = invoice
            stored.invoice_id = invoice.target_id
            return WriteResult(
                key=key,
                outcome="created",
                target_id=invoice.target_id,
                message=f"Issued invoice {invoice.number}.",
            )

        return _results_for([write.ext_id], self._call("create_invoice"), one)[0]

    async def read_stock(self, cursor: str | None, *, until: datetime) -> AsyncIterator[StockPage]:
        async for levels, next_cursor in self._pages(
            "read_stock", self.system._stock, "stock", cursor, until
        ):
            yield StockPage(levels=tuple(levels), cursor=next_cursor)

    async def upsert_products(self, products: Sequence[Product]) -> list[WriteResult]:
        books = self.system

        def one(index: int) -> WriteResult:
            product = products[index]
            if (failed := books._record_fault(product.code)) is not None:
                return failed
            current = books.products.get(product.code)
            books.products[product.code] = product
            outcome: Outcome = (
                "created" if current is None else "unchanged" if current == product else "updated"
            )
            return WriteResult(key=product.code, outcome=outcome, target_id=product.code)

        return _results_for([p.code for p in products], self._call("upsert_products"), one)

    async def read_fulfilments(self, cursor: str | None, *, until: datetime) -> AsyncIterator[FulfilmentPage]:
        pages = self._pages("read_fulfilments", self.system._fulfilments, "fulfilments", cursor, until)
        async for fulfilments, next_cursor in pages:
            yield FulfilmentPage(fulfilments=tuple(fulfilments), cursor=next_cursor)

    async def read_options(self) -> RemoteOptions:
        call = self._call("read_options")
        books = self.system
        warehouses = [(o.value, o.label) for o in books.choices.warehouses]
        warehouses += [(w, w) for _, w in books.stock]
        options = msgspec.structs.replace(books.choices, warehouses=_distinct(warehouses))
        call.finish()
        return options


# -- connectors -----------------------------------------------------------------------------------
_CREDENTIALS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "token": {
            "type": "string",
            "minLength": 1,
            "writeOnly": True,
            "title": "Token",
            "description": "The in-memory system's token (its `token` attribute).",
        }
    },
    "required": ["token"],
    "additionalProperties": False,
}

_SYSTEM_PROPERTY = {
    "type": "string",
    "minLength": 1,
    "title": "System",
    "description": "The name of the in-memory system to talk to (a key of SYSTEMS).",
}
_PAGE_SIZE_PROPERTY = {
    "type": "integer",
    "minimum": 1,
    "maximum": MAX_PAGE_SIZE,
    "default": DEFAULT_PAGE_SIZE,
    "title": "Page size",
    "description": "Records per page of an incremental read.",
}

SHOP_SPEC = ConnectorSpec(
    key="memory-shop",
    kind="eshop",
    title="In-memory e-shop",
    description="An e-shop kept in the platform's memory, for tests, demos and benchmarks.",
    capabilities=(
        cap.ORDERS_READ,
        cap.ORDERS_WEBHOOK,
        cap.ORDERS_FULFIL,
        cap.PRODUCTS_READ,
        cap.STOCK_WRITE,
        cap.PRICES_WRITE,
        cap.OPTIONS_READ,
    ),
    settings_schema={
        "type": "object",
        "properties": {"system": _SYSTEM_PROPERTY, "page_size": _PAGE_SIZE_PROPERTY},
        "required": ["system"],
        "additionalProperties": False,
    },
    credentials_schema=_CREDENTIALS_SCHEMA,
    auth_mode="api_token",
    simulated=True,
)

BOOKS_SPEC = ConnectorSpec(
    key="memory-books",
    kind="accounting",
    title="In-memory accounting",
    description=(
        "An accounting company kept in the platform's memory, for tests, demos and benchmarks. It cannot "
        "update a received order: it deletes and re-creates one nobody has settled or invoiced yet."
    ),
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
    settings_schema={
        "type": "object",
        "properties": {
            "system": _SYSTEM_PROPERTY,
            "page_size": _PAGE_SIZE_PROPERTY,
            "strict_codes": {
                "type": "boolean",
                "default": False,
                "title": "Strict codes",
                "description": "Refuse an order with an item whose code has no stock card.",
            },
            "warehouse": {
                "type": "string",
                "default": "",
                "title": "Warehouse",
                "description": "Where reservations go when the link names no warehouse.",
            },
        },
        "required": ["system"],
        "additionalProperties": False,
    },
    credentials_schema=_CREDENTIALS_SCHEMA,
    auth_mode="api_token",
    simulated=True,
)

_SHOP_SETTINGS = frozenset(SHOP_SPEC.settings_schema["properties"])
_BOOKS_SETTINGS = frozenset(BOOKS_SPEC.settings_schema["properties"])


def _opened(system: MemorySystem, context: ConnectionContext) -> None:
    system._call("open").finish()
    if not _token_ok(system, context.credentials):
        raise AuthExpiredError(f"The in-memory system {system.name!r} refused the token; reconnect it.")


class MemoryShopConnector:
    """The ``memory-shop`` connector: sessions on a :class:`MemoryShop` through ``open(ctx)``."""

    spec: ConnectorSpec = SHOP_SPEC
    #: What ``open`` yields; a test may swap in a subclass (a deliberately broken one, say).
    session_class: type[MemoryShopSession] = MemoryShopSession

    async def check(self, settings: Mapping[str, Any], credentials: Mapping[str, str]) -> CheckResult:
        """OK when the settings name a registered shop and ``token`` is its token."""
        return _check(MemoryShop, settings, credentials, _SHOP_SETTINGS)

    def open(self, context: ConnectionContext) -> AbstractAsyncContextManager[MemoryShopSession]:
        """A session on the shop the settings name; :class:`AuthExpiredError` for a wrong token."""
        return self._open(context)

    @asynccontextmanager
    async def _open(self, context: ConnectionContext) -> AsyncIterator[MemoryShopSession]:
        settings = _parse_settings(context.settings, _SHOP_SETTINGS)
        shop = _find_system(settings.system, MemoryShop)
        _opened(shop, context)
        session = self.session_class(shop, settings, context)
        try:
            yield session
        finally:
            session.closed = True


class MemoryBooksConnector:
    """The ``memory-books`` connector: sessions on a :class:`MemoryBooks` through ``open(ctx)``."""

    spec: ConnectorSpec = BOOKS_SPEC
    #: What ``open`` yields; a test may swap in a subclass (a deliberately broken one, say).
    session_class: type[MemoryBooksSession] = MemoryBooksSession

    async def check(self, settings: Mapping[str, Any], credentials: Mapping[str, str]) -> CheckResult:
        """OK when the settings name a registered accounting system and ``token`` is its token."""
        return _check(MemoryBooks, settings, credentials, _BOOKS_SETTINGS)

    def open(self, context: ConnectionContext) -> AbstractAsyncContextManager[MemoryBooksSession]:
        """A session on the books the settings name; :class:`AuthExpiredError` for a wrong token."""
        return self._open(context)

    @asynccontextmanager
    async def _open(self, context: ConnectionContext) -> AsyncIterator[MemoryBooksSession]:
        settings = _parse_settings(context.settings, _BOOKS_SETTINGS)
        books = _find_system(settings.system, MemoryBooks)
        _opened(books, context)
        session = self.session_class(books, settings, context)
        try:
            yield session
        finally:
            session.closed = True


#: Ready-made connector objects (what an entry point or ``Registry.register`` takes).
memory_shop = MemoryShopConnector()
memory_books = MemoryBooksConnector()
