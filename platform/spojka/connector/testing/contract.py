"""The connector contract: the tests every connector must pass, whoever wrote it.

A connector package runs the suite in its own tests by giving it two things: the connector object,
and a :class:`Harness`, a small adapter that knows how to drive the connector's remote (usually
its simulator): which settings and credentials work, which credentials are refused, and how to make
N orders, products, stock levels or settled orders appear there. The suite then generates the tests
(the same idea as singer-sdk's ``get_tap_test_class``):

========================================  ======================================================
test                                      what it holds the connector to
========================================  ======================================================
``test_spec_*``                           key, kind and title; capabilities known for its kind;
                                          settings and credentials schemas valid JSON Schema
                                          2020-12; every credential a string; loads in a Registry
``test_check_*``                          ``check()`` accepts good credentials, refuses bad and
                                          missing ones with a plain message that holds no secret
``test_session_implements_capabilities``  the opened session has every declared capability's
                                          methods (``isinstance`` against the protocols, async,
                                          callable with the protocol's arguments)
``test_reads_are_resumable[stream]``      reading all pages, then again from every intermediate
                                          cursor, gives exactly the remaining records; the final
                                          cursor gives nothing new; every object survives a JSON
                                          round trip and has aware datetimes and Decimal amounts
``test_reads_never_pass_until[stream]``   a change after ``until`` is not read now, and is read
                                          from the cursor next time
``test_order_write_*``                    ``create_orders`` then ``find_orders`` finds the created
                                          ids; a repeated create makes no twin; an order read back
                                          keeps its codes, quantities, prices, VAT rates, totals
``test_*`` for the other capabilities     delete, invoices, products, stock and price writes,
                                          fulfilment, webhooks: one result per record, no
                                          failure spreading to neighbours, repeats harmless
``test_read_options``                     ``read_options()`` gives a ``RemoteOptions`` whose
                                          options have a value and a label, values unique per
                                          list; it survives a JSON round trip; asked again, the
                                          same lists
========================================  ======================================================

Only the tests of the capabilities the connector declares are generated: a connector without
``orders.write`` has no order-write tests at all, rather than tests reported as skipped. A declared
capability whose harness method is missing fails its test: a capability the suite cannot exercise
is a gap in the connector's tests, not a pass.

Use it like this in ``tests/connectors/test_<name>_contract.py`` (the async tests carry
``pytest.mark.asyncio``, so pytest-asyncio must be installed; any mode works)::

    import pytest
    from spojka.connector.testing.contract import ConnectorContract, Harness
    from spojka_connectors.shoptet import connector
    from spojka_connectors.shoptet.simulator import State

    class ShoptetHarness(Harness):
        paging_records = 7          # with the simulator's page size of 3: three pages

        def __init__(self, state: State, base_url: str) -> None:
            self.state, self.base_url = state, base_url

        async def settings(self):
            return {"apiUrl": self.base_url}

        async def credentials(self):
            return {"apiToken": self.state.token}

        async def bad_credentials(self):
            return {"apiToken": "123456-p-100-" + "x" * 30}

        async def seed_orders(self, n):
            return [self.state.add_order(...).code for _ in range(n)]   # ids as the connector reports them

    class TestShoptetContract(ConnectorContract):
        connector_under_test = connector

        @pytest.fixture
        def harness(self, shop, base_url):
            return ShoptetHarness(shop, base_url)

or, in one line, ``TestShoptetContract = contract_suite(connector, lambda: ShoptetHarness(...))``.

What the harness promises: records it seeds appear on the remote *now* (their change time is the
remote clock's present, so ``until`` tests can put them after a cut-off; set ``clock_resolution``
when the remote stamps whole seconds), with keys as the connector reports them; its settings make
pages small enough that ``paging_records`` records fill two pages or more; ``order_writes`` (by
default from :class:`~spojka.connector.testing.factories.Factory`) gives orders the remote accepts
(for a remote that requires stock cards, seed them first); ``read_back_order`` maps what the remote
stored back to the canonical model, for the round-trip test. A fresh remote (or fresh keys) per
harness keeps the tests independent.

The ``check_*`` functions are the tests' bodies and can be called on their own (they raise
:class:`ContractError`, an ``AssertionError``, on a breach, including when asked to check a
capability the connector does not declare).
"""

from __future__ import annotations

import inspect
import json
import re
import secrets
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, ClassVar

import msgspec
import pytest
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from spojka.connector import capabilities as cap
from spojka.connector.capabilities import (
    ACCOUNTING_CAPABILITIES,
    ESHOP_CAPABILITIES,
    FulfilmentPage,
    Option,
    OrderPage,
    OrderWrite,
    ProductPage,
    RemoteOptions,
    StockPage,
    WebhookEvent,
    WriteResult,
)
from spojka.connector.context import ConnectionContext, MemoryState, OpensSessions
from spojka.connector.errors import AuthExpiredError
from spojka.connector.model import CENT, Fulfilment, Order, Product, StockLevel, order_total_problems
from spojka.connector.registry import Registry
from spojka.connector.spec import CheckResult, Connector, ConnectorSpec, secret_fields
from spojka.connector.testing.checks import model_problems
from spojka.connector.testing.factories import Factory

KNOWN_CAPABILITIES: Mapping[str, frozenset[str]] = {
    "eshop": ESHOP_CAPABILITIES,
    "accounting": ACCOUNTING_CAPABILITIES,
    "shipping": frozenset(),
}
#: A connector answering more pages than this for a handful of records is taken to loop.
MAX_PAGES = 1000
WEBHOOK_URL = "https://spojka.example/api/v1/hooks/contract/token"


class ContractError(AssertionError):
    """A connector broke the contract; the message says how."""


def _expect(condition: object, message: str) -> None:
    if not condition:
        raise ContractError(message)


# -- the harness ----------------------------------------------------------------------------------
class Harness:
    """How a connector's own tests drive its remote for the contract suite.

    ``settings``, ``credentials`` and ``bad_credentials`` are required. The others are needed by
    the capabilities that use them: a connector declaring ``stock.read`` needs ``seed_stock``, one
    declaring ``orders.write`` needs ``read_back_order``; a test whose method is left as it is
    (raising :class:`NotImplementedError`) fails and says which method to write. Seeding methods
    make records appear *now* on the remote (as if a customer or an accountant acted) and return
    their keys as the connector will report them.
    """

    #: How many records the paging tests seed; with :meth:`settings` they must make two pages or more.
    paging_records: int = 7
    #: The coarsest step of the remote's change times (1 s for a remote that stamps whole seconds).
    clock_resolution: timedelta = timedelta(0)
    #: An order id the remote certainly does not have.
    missing_order_id: str = "contract-no-such-order"

    async def settings(self) -> Mapping[str, Any]:
        """Valid settings for a connection to the remote."""
        raise NotImplementedError

    async def credentials(self) -> Mapping[str, str]:
        """Credentials the remote accepts."""
        raise NotImplementedError

    async def bad_credentials(self) -> Mapping[str, str]:
        """Well-formed credentials (they fit the schema) that the remote refuses."""
        raise NotImplementedError

    def context(self, settings: Mapping[str, Any], credentials: Mapping[str, str]) -> ConnectionContext:
        """The context a session is opened with."""
        return ConnectionContext(
            connection_id="contract-test",
            settings=settings,
            credentials=credentials,
            state=MemoryState(),
            webhook_url=WEBHOOK_URL,
        )

    @property
    def factory(self) -> Factory:
        """Builder of canonical objects, with codes and ext ids unique to this harness."""
        existing: Factory | None = self.__dict__.get("_contract_factory")
        if existing is None:
            existing = Factory(seed=20240108, code_prefix=f"c{secrets.token_hex(3)}-")
            self.__dict__["_contract_factory"] = existing
        return existing

    # e-shop side
    async def seed_orders(self, n: int) -> Sequence[str]:
        """Place ``n`` orders; their source ids (``orders.read``, ``orders.fulfil``, webhooks)."""
        raise NotImplementedError

    async def seed_products(self, n: int) -> Sequence[str]:
        """Add ``n`` products to the catalogue; their codes (``products.read``)."""
        raise NotImplementedError

    async def stock_codes(self, n: int) -> Sequence[str]:
        """``n`` codes the e-shop takes stock levels and purchase prices for (``stock.write``)."""
        raise NotImplementedError

    async def webhook_delivery(self, source_id: str) -> tuple[Mapping[str, str], bytes]:
        """A genuine signed delivery (headers, raw body) about the order ``source_id``."""
        raise NotImplementedError

    # accounting side
    async def seed_stock(self, n: int) -> Sequence[str]:
        """Set ``n`` new stock levels; their codes (``stock.read``)."""
        raise NotImplementedError

    async def seed_fulfilments(self, n: int) -> Sequence[str]:
        """Settle ``n`` orders in accounting; their target ids (``fulfilment.read``)."""
        raise NotImplementedError

    async def order_writes(self, n: int) -> Sequence[OrderWrite]:
        """``n`` orders to write, with fresh ext ids (default: from :attr:`factory`)."""
        return [self.factory.order_write() for _ in range(n)]

    async def products_to_write(self, n: int) -> Sequence[Product]:
        """``n`` products to write as stock cards (default: from :attr:`factory`)."""
        return self.factory.products(n)

    async def read_back_order(self, target_id: str) -> Order | None:
        """The order ``target_id`` as the remote keeps it, mapped back to the canonical model."""
        raise NotImplementedError


async def _harness_gives(call: Callable[[], Any], what: str) -> Any:
    """What the harness's ``call`` gives; a breach when the harness does not provide it."""
    try:
        return await call()
    except NotImplementedError as exc:
        raise ContractError(
            f"the harness cannot {what}, which a declared capability needs to be tested"
        ) from exc


@asynccontextmanager
async def opened(connector: Connector, harness: Harness) -> AsyncIterator[Any]:
    """A session on the harness's remote with good settings and credentials."""
    if not isinstance(connector, OpensSessions):
        raise ContractError(f"{connector.spec.key} declares capabilities but has no open()")
    context = harness.context(await harness.settings(), await harness.credentials())
    async with connector.open(context) as session:
        yield session


def _require(connector: Connector, capability: str) -> None:
    if capability not in connector.spec.capabilities:
        raise ContractError(f"{connector.spec.key} does not declare {capability}: nothing to check")


# -- spec ------------------------------------------------------------------------------------------
def check_spec_identity(connector: Connector) -> None:
    """Key, kind and title; the object is a Connector a Registry accepts under its key."""
    _expect(isinstance(connector, Connector), "the connector object lacks spec or check()")
    spec = connector.spec
    _expect(isinstance(spec, ConnectorSpec), "spec is not a ConnectorSpec")
    _expect(
        re.fullmatch(r"[a-z][a-z0-9-]*", spec.key),
        f"key {spec.key!r} should be lowercase letters, digits and hyphens",
    )
    _expect(spec.kind in KNOWN_CAPABILITIES, f"kind {spec.kind!r} is not one of {sorted(KNOWN_CAPABILITIES)}")
    _expect(spec.title.strip(), "the title is empty")
    registry = Registry()
    registry.register(connector)
    entry = registry.get(spec.key)
    _expect(entry is not None and entry.available, "a Registry does not list it under its key")
    again = msgspec.json.decode(msgspec.json.encode(spec), type=ConnectorSpec)
    _expect(again == spec, "the spec does not survive a JSON round trip (the API serves it as JSON)")


def check_spec_capabilities(connector: Connector) -> None:
    """Capabilities known for the connector's kind, each once."""
    spec = connector.spec
    known = KNOWN_CAPABILITIES.get(spec.kind, frozenset())
    unknown = sorted(set(spec.capabilities) - known)
    _expect(
        not unknown, f"capabilities {unknown} are not known for kind {spec.kind!r} (known: {sorted(known)})"
    )
    _expect(len(set(spec.capabilities)) == len(spec.capabilities), "a capability is declared twice")


def check_spec_schemas(connector: Connector) -> None:
    """Settings and credentials schemas are valid JSON Schema 2020-12 objects; credentials are strings."""
    spec = connector.spec
    for name, schema in (("settings", spec.settings_schema), ("credentials", spec.credentials_schema)):
        try:
            Draft202012Validator.check_schema(schema)
        except SchemaError as exc:
            raise ContractError(f"the {name} schema is not valid JSON Schema 2020-12: {exc.message}") from exc
        _expect(schema.get("type") == "object", f"the {name} schema does not describe an object")
    properties = spec.credentials_schema.get("properties", {})
    for field_name in secret_fields(spec):
        _expect(
            properties[field_name].get("type") == "string",
            f"credential {field_name!r} is not a string (the vault seals strings)",
        )


async def check_settings_fit_schemas(connector: Connector, harness: Harness) -> None:
    """The harness's settings and credentials (good and bad) fit the connector's own schemas."""
    spec = connector.spec
    settings = await harness.settings()
    errors = [e.message for e in Draft202012Validator(spec.settings_schema).iter_errors(settings)]
    _expect(not errors, f"valid settings do not fit the settings schema: {errors}")
    for label, credentials in (
        ("good", await harness.credentials()),
        ("bad", await harness.bad_credentials()),
    ):
        errors = [e.message for e in Draft202012Validator(spec.credentials_schema).iter_errors(credentials)]
        _expect(not errors, f"the {label} credentials do not fit the credentials schema: {errors}")


# -- check() ---------------------------------------------------------------------------------------
def _secret_values(*credentials: Mapping[str, str]) -> set[str]:
    # Very short values would match by accident; real secrets are longer than this.
    return {v for c in credentials for v in c.values() if isinstance(v, str) and len(v) >= 4}


def _message_problems(result: CheckResult, secret_values: set[str]) -> list[str]:
    problems: list[str] = []
    if not isinstance(result.message, str) or not result.message.strip():
        problems.append("the message is empty")
        return problems
    if "Traceback (most recent call last)" in result.message:
        problems.append("the message is a traceback, not plain words")
    details = json.dumps(result.details, default=str)
    for value in secret_values:
        if value in result.message:
            problems.append("the message contains a credential value")
        if value in details:
            problems.append("the details contain a credential value")
    return problems


async def _run_check(
    connector: Connector, settings: Mapping[str, Any], credentials: Mapping[str, str], label: str
) -> CheckResult:
    try:
        result = await connector.check(settings, credentials)
    except Exception as exc:  # the contract is exactly that check() answers instead of raising
        raise ContractError(f"check() with {label} raised {type(exc).__name__} instead of answering") from exc
    _expect(isinstance(result, CheckResult), f"check() with {label} did not return a CheckResult")
    return result


async def check_accepts_good_credentials(connector: Connector, harness: Harness) -> None:
    """``check()`` with good settings and credentials is OK, in words without the secret."""
    good = await harness.credentials()
    result = await _run_check(connector, await harness.settings(), good, "good credentials")
    _expect(result.ok, f"check() refused good credentials: {result.message}")
    problems = _message_problems(result, _secret_values(good))
    _expect(not problems, f"check() with good credentials: {'; '.join(problems)}")


async def check_rejects_bad_credentials(connector: Connector, harness: Harness) -> None:
    """``check()`` refuses bad and missing credentials with a plain message that leaks nothing."""
    settings = await harness.settings()
    good, bad = await harness.credentials(), await harness.bad_credentials()
    values = _secret_values(good, bad)
    for label, credentials in (("bad credentials", bad), ("no credentials", {})):
        result = await _run_check(connector, settings, credentials, label)
        _expect(not result.ok, f"check() accepted {label}")
        problems = _message_problems(result, values)
        _expect(not problems, f"check() with {label}: {'; '.join(problems)}")


# -- capabilities ----------------------------------------------------------------------------------
_NOW = datetime(2024, 1, 8, tzinfo=UTC)
_SAMPLE_ORDER = Order(source_id="x", number="x", created_at=_NOW)
_SAMPLE_WRITE = OrderWrite(ext_id="x", order=_SAMPLE_ORDER)
_SAMPLE_FULFILMENT = Fulfilment(target_id="x")

# capability → (protocol, {method: sample arguments}); reads are the methods whose arguments
# include ``until``: they must hand back an async iterator rather than a coroutine.
_METHODS: dict[str, tuple[type, dict[str, tuple[tuple[Any, ...], dict[str, Any]]]]] = {
    cap.ORDERS_READ: (
        cap.ReadsOrders,
        {"read_orders": ((None,), {"until": _NOW}), "get_order": (("x",), {})},
    ),
    cap.ORDERS_WEBHOOK: (
        cap.ReceivesWebhooks,
        {"verify_webhook": (({}, b""), {}), "register_webhooks": ((WEBHOOK_URL,), {})},
    ),
    cap.ORDERS_FULFIL: (cap.FulfilsOrders, {"fulfil_order": (("x", _SAMPLE_FULFILMENT), {})}),
    cap.PRODUCTS_READ: (cap.ReadsProducts, {"read_products": ((None,), {"until": _NOW})}),
    cap.STOCK_WRITE: (cap.WritesStock, {"write_stock": (([],), {})}),
    cap.PRICES_WRITE: (cap.WritesPrices, {"write_purchase_prices": (([],), {})}),
    cap.ORDERS_WRITE: (cap.WritesOrders, {"find_orders": (([],), {}), "create_orders": (([],), {})}),
    cap.ORDERS_UPDATE: (cap.UpdatesOrders, {"update_order": (("x", _SAMPLE_WRITE), {})}),
    cap.ORDERS_DELETE: (cap.DeletesOrders, {"delete_order": (("x",), {})}),
    cap.INVOICES_WRITE: (cap.WritesInvoices, {"create_invoice": (("x", _SAMPLE_WRITE), {})}),
    # Reserving stock is an option of create_orders, not a method of its own.
    cap.STOCK_RESERVE: (cap.WritesOrders, {"create_orders": (([],), {})}),
    cap.PRODUCTS_WRITE: (cap.WritesProducts, {"upsert_products": (([],), {})}),
    cap.STOCK_READ: (cap.ReadsStock, {"read_stock": ((None,), {"until": _NOW})}),
    cap.FULFILMENT_READ: (cap.ReadsFulfilments, {"read_fulfilments": ((None,), {"until": _NOW})}),
    cap.OPTIONS_READ: (cap.ReadsOptions, {"read_options": ((), {})}),
}


def capability_problems(session: object, capabilities: Sequence[str]) -> list[str]:
    """How ``session`` falls short of the protocols of ``capabilities`` (empty when it does not)."""
    problems: list[str] = []
    for capability in capabilities:
        if capability not in _METHODS:
            continue
        protocol, methods = _METHODS[capability]
        if not isinstance(session, protocol):
            missing = [m for m in methods if not callable(getattr(session, m, None))]
            problems.append(f"{capability}: the session is not a {protocol.__name__} (missing {missing})")
            continue
        for name, (args, kwargs) in methods.items():
            method = getattr(session, name)
            try:
                inspect.signature(method).bind(*args, **kwargs)
            except TypeError as exc:
                problems.append(f"{capability}: {name}() does not take the protocol's arguments: {exc}")
            is_read = "until" in kwargs
            if is_read and inspect.iscoroutinefunction(method):
                problems.append(f"{capability}: {name}() must return an async iterator, not a coroutine")
            if not is_read and not inspect.iscoroutinefunction(method):
                problems.append(f"{capability}: {name}() is not an async method")
    return problems


async def check_session_capabilities(connector: Connector, harness: Harness) -> None:
    """The opened session implements every declared capability's protocol."""
    _expect(connector.spec.capabilities, f"{connector.spec.key} declares no capabilities: nothing to check")
    async with opened(connector, harness) as session:
        problems = capability_problems(session, connector.spec.capabilities)
    _expect(not problems, "; ".join(problems))


# -- reads -----------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class _Stream:
    capability: str
    method: str
    page_type: type
    #: The page's field holding the records.
    field: str
    seed: str
    what: str

    def items(self, page: Any) -> tuple[Any, ...]:
        items: tuple[Any, ...] = getattr(page, self.field)
        return items

    def key(self, item: Any) -> str:
        if isinstance(item, Order):
            return item.source_id
        if isinstance(item, Product):
            return item.code
        if isinstance(item, StockLevel):
            return f"{item.code}@{item.warehouse}"
        if isinstance(item, Fulfilment):
            return item.target_id
        raise ContractError(f"{self.method} returned a {type(item).__name__}")

    def seed_key(self, item: Any) -> str:
        return item.code if isinstance(item, StockLevel) else self.key(item)


STREAMS: dict[str, _Stream] = {
    "orders": _Stream(cap.ORDERS_READ, "read_orders", OrderPage, "orders", "seed_orders", "place orders"),
    "products": _Stream(
        cap.PRODUCTS_READ, "read_products", ProductPage, "products", "seed_products", "add products"
    ),
    "stock": _Stream(cap.STOCK_READ, "read_stock", StockPage, "levels", "seed_stock", "set stock levels"),
    "fulfilments": _Stream(
        cap.FULFILMENT_READ,
        "read_fulfilments",
        FulfilmentPage,
        "fulfilments",
        "seed_fulfilments",
        "settle orders",
    ),
}


@dataclass(frozen=True, slots=True)
class _Page:
    items: tuple[Any, ...]
    cursor: str | None


async def read_pages(session: Any, stream: _Stream, cursor: str | None, until: datetime) -> list[_Page]:
    """Every page of one read, each checked for its type, cursor and objects."""
    pages: list[_Page] = []
    async for page in getattr(session, stream.method)(cursor, until=until):
        _expect(isinstance(page, stream.page_type), f"{stream.method} yielded a {type(page).__name__}")
        items = stream.items(page)
        _expect(
            isinstance(page.cursor, str) and page.cursor,
            f"{stream.method} gave a page whose cursor is {page.cursor!r}, not an opaque string",
        )
        for item in items:
            problems = model_problems(item)
            if isinstance(item, Order):
                problems += order_total_problems(item)
            _expect(not problems, f"{stream.method} returned {stream.key(item)!r}: {'; '.join(problems)}")
        _expect(not model_problems(page), f"a {stream.page_type.__name__} does not survive a JSON round trip")
        pages.append(_Page(items, page.cursor))
        _expect(len(pages) <= MAX_PAGES, f"{stream.method} gave more than {MAX_PAGES} pages: a cursor loops")
    return pages


def _flatten(pages: Sequence[_Page]) -> list[Any]:
    return [item for page in pages for item in page.items]


async def _seed(harness: Harness, stream: _Stream, n: int) -> list[str]:
    keys = await _harness_gives(lambda: getattr(harness, stream.seed)(n), stream.what)
    return list(keys)


async def check_reads_resumable(connector: Connector, harness: Harness, stream_name: str) -> None:
    """Read everything, then again from each intermediate cursor: exactly the rest each time."""
    stream = STREAMS[stream_name]
    _require(connector, stream.capability)
    seeded = await _seed(harness, stream, harness.paging_records)
    async with opened(connector, harness) as session:
        until = datetime.now(UTC)
        pages = await read_pages(session, stream, None, until)
        everything = _flatten(pages)
        keys = [stream.key(item) for item in everything]
        missing = set(seeded) - {stream.seed_key(item) for item in everything}
        _expect(not missing, f"{stream.method} from the start missed seeded records {sorted(missing)}")
        _expect(len(keys) == len(set(keys)), f"{stream.method} returned a record twice in one read")
        full_pages = [i for i, page in enumerate(pages) if page.items]
        _expect(
            len(full_pages) >= 2,
            f"{len(everything)} records came in {len(full_pages)} page(s): the harness must seed enough "
            "records (paging_records) for two pages or more, or the resumption is not tested",
        )
        for index, page in enumerate(pages):
            rest = _flatten(pages[index + 1 :])
            again = _flatten(await read_pages(session, stream, page.cursor, until))
            expected, got = [stream.key(i) for i in rest], [stream.key(i) for i in again]
            _expect(
                sorted(got) == sorted(expected),
                f"{stream.method} from the cursor of page {index + 1} ({page.cursor!r}) gave {got}, "
                f"but the records after it were {expected}",
            )
            by_key = {stream.key(i): i for i in rest}
            changed = [stream.key(i) for i in again if by_key.get(stream.key(i)) != i]
            _expect(not changed, f"{stream.method} gave different contents on a re-read for {changed}")


async def check_reads_never_pass_until(connector: Connector, harness: Harness, stream_name: str) -> None:
    """A change after ``until`` is not read (nor skipped by the cursor): the next read gets it."""
    stream = STREAMS[stream_name]
    _require(connector, stream.capability)
    await _seed(harness, stream, 1)
    async with opened(connector, harness) as session:
        pages = await read_pages(session, stream, None, datetime.now(UTC))
        cursor = pages[-1].cursor if pages else None
        before_seed = datetime.now(UTC)
        seeded = await _seed(harness, stream, 2)
        until = before_seed - harness.clock_resolution - timedelta(microseconds=1)
        early = await read_pages(session, stream, cursor, until)
        leaked = sorted(set(seeded) & {stream.seed_key(i) for i in _flatten(early)})
        _expect(not leaked, f"{stream.method} returned {leaked}, changed after `until`")
        cursor = early[-1].cursor if early else cursor
        later = _flatten(await read_pages(session, stream, cursor, datetime.now(UTC)))
        missing = sorted(set(seeded) - {stream.seed_key(i) for i in later})
        _expect(
            not missing,
            f"{stream.method} skipped {missing}: changed after `until`, yet not read from the next cursor",
        )


async def check_get_order(connector: Connector, harness: Harness) -> None:
    """``get_order`` gives the order as the read does, and ``None`` for an unknown id."""
    _require(connector, cap.ORDERS_READ)
    (source_id,) = await _seed(harness, STREAMS["orders"], 1)
    async with opened(connector, harness) as session:
        read = {o.source_id: o for o in _flatten(await read_pages(session, STREAMS["orders"], None, _now()))}
        order = await session.get_order(source_id)
        _expect(isinstance(order, Order), f"get_order({source_id!r}) gave {type(order).__name__}")
        _expect(order == read.get(source_id), "get_order and read_orders disagree about the same order")
        missing = await session.get_order(harness.missing_order_id)
        _expect(missing is None, f"get_order({harness.missing_order_id!r}) gave {missing!r}, not None")


def _now() -> datetime:
    return datetime.now(UTC)


# -- writes ----------------------------------------------------------------------------------------
def check_results(results: object, keys: Sequence[str], method: str) -> list[WriteResult]:
    """One well-formed :class:`WriteResult` per record, keyed by the records' keys."""
    if not isinstance(results, list):
        raise ContractError(f"{method} returned {type(results).__name__}, not a list")
    _expect(
        all(isinstance(r, WriteResult) for r in results), f"{method} returned something not a WriteResult"
    )
    _expect(
        sorted(r.key for r in results) == sorted(keys),
        f"{method} answered for {[r.key for r in results]}, asked for {list(keys)}",
    )
    for result in results:
        _expect(
            result.outcome != "failed" or result.message.strip(), f"{method}: a failure without a message"
        )
        _expect(not model_problems(result), f"{method}: a WriteResult does not survive a JSON round trip")
    return results


def _target_of(result: WriteResult, method: str) -> str:
    if not result.target_id:
        raise ContractError(f"{method} said {result.outcome!r} for {result.key} but gave no target id")
    return result.target_id


def _not_failed(results: Sequence[WriteResult], method: str) -> None:
    failed = [f"{r.key}: {r.message}" for r in results if r.outcome == "failed"]
    _expect(not failed, f"{method} failed for {failed}")


async def check_order_write_idempotent(connector: Connector, harness: Harness) -> None:
    """``create_orders`` then ``find_orders`` returns the created ids; unknown ext ids are absent."""
    _require(connector, cap.ORDERS_WRITE)
    writes = list(await harness.order_writes(2))
    ext_ids = [w.ext_id for w in writes]
    async with opened(connector, harness) as session:
        before = await session.find_orders(ext_ids)
        _expect(before == {}, f"find_orders found {before} before anything was written")
        results = check_results(await session.create_orders(writes), ext_ids, "create_orders")
        _not_failed(results, "create_orders")
        _expect(all(r.outcome == "created" for r in results), "create_orders did not say 'created'")
        created = {r.key: r.target_id for r in results}
        _expect(all(isinstance(t, str) and t for t in created.values()), "create_orders gave no target id")
        _expect(len(set(created.values())) == len(created), "two orders got the same target id")
        found = await session.find_orders([*ext_ids, "contract-no-such-ext-id"])
        _expect(found == created, f"find_orders gave {found}, but create_orders made {created}")


async def check_order_write_makes_no_twin(connector: Connector, harness: Harness) -> None:
    """Creating an order whose ext id exists again never makes a second record."""
    _require(connector, cap.ORDERS_WRITE)
    (write,) = await harness.order_writes(1)
    async with opened(connector, harness) as session:
        (first,) = check_results(await session.create_orders([write]), [write.ext_id], "create_orders")
        _not_failed([first], "create_orders")
        _target_of(first, "create_orders")
        (second,) = check_results(await session.create_orders([write]), [write.ext_id], "create_orders")
        _expect(
            second.outcome != "created" and second.target_id in (None, first.target_id),
            f"a repeated create_orders made a twin: {second.target_id} next to {first.target_id}",
        )
        found = await session.find_orders([write.ext_id])
        _expect(
            found == {write.ext_id: first.target_id}, f"after a repeated create, find_orders gives {found}"
        )


def order_round_trip_problems(sent: Order, back: Order) -> list[str]:
    """Where an order read back from a remote lost what accounting needs (codes, quantities, prices,
    VAT rates, totals); empty when it kept them."""
    problems = [f"read back: {p}" for p in model_problems(back) + order_total_problems(back)]
    if back.currency != sent.currency:
        problems.append(f"currency {back.currency} != {sent.currency}")
    if len(back.lines) != len(sent.lines):
        return [*problems, f"{len(back.lines)} lines read back, {len(sent.lines)} written"]
    for index, (a, b) in enumerate(zip(sent.lines, back.lines, strict=True), start=1):
        where = f"line {index} ({a.code or a.name})"
        if a.code != b.code:
            problems.append(f"{where}: code {b.code!r} != {a.code!r}")
        if a.quantity != b.quantity:
            problems.append(f"{where}: quantity {b.quantity} != {a.quantity}")
        if a.vat_rate != b.vat_rate:
            problems.append(f"{where}: VAT rate {b.vat_rate} != {a.vat_rate}")
        for label, x, y in (
            ("unit price net", a.unit_price_net, b.unit_price_net),
            ("unit price gross", a.unit_price_gross, b.unit_price_gross),
            ("total net", a.computed_totals()[0], b.computed_totals()[0]),
            ("total gross", a.computed_totals()[1], b.computed_totals()[1]),
        ):
            if abs(x - y) > CENT:
                problems.append(f"{where}: {label} {y} != {x}")
    if sent.totals is not None and back.totals is not None:
        tolerance = CENT * max(1, len(sent.lines))
        for label, x, y in (
            ("net", sent.totals.net, back.totals.net),
            ("VAT", sent.totals.vat, back.totals.vat),
            ("gross", sent.totals.gross, back.totals.gross),
        ):
            if abs(Decimal(x) - Decimal(y)) > tolerance:
                problems.append(f"order {label} total {y} != {x}")
    return problems


async def _read_back(harness: Harness, target_id: str) -> Order | None:
    back: Order | None = await _harness_gives(
        lambda: harness.read_back_order(target_id), "read orders back (read_back_order)"
    )
    return back


async def check_order_round_trip(connector: Connector, harness: Harness) -> None:
    """An order written and read back keeps codes, quantities, prices, VAT rates and totals."""
    _require(connector, cap.ORDERS_WRITE)
    writes = list(await harness.order_writes(3))
    async with opened(connector, harness) as session:
        results = check_results(
            await session.create_orders(writes), [w.ext_id for w in writes], "create_orders"
        )
    _not_failed(results, "create_orders")
    targets = {r.key: _target_of(r, "create_orders") for r in results}
    for write in writes:
        target = targets[write.ext_id]
        back = await _read_back(harness, target)
        if not isinstance(back, Order):
            raise ContractError(f"the harness read back nothing for {target}")
        problems = order_round_trip_problems(write.order, back)
        _expect(not problems, f"order {write.order.number} written as {target}: {'; '.join(problems)}")


async def check_delete_order(connector: Connector, harness: Harness) -> None:
    """An untouched order can be deleted (then it is not found), and deleting it again is harmless."""
    _require(connector, cap.ORDERS_DELETE)
    _require(connector, cap.ORDERS_WRITE)
    (write,) = await harness.order_writes(1)
    async with opened(connector, harness) as session:
        (created,) = check_results(await session.create_orders([write]), [write.ext_id], "create_orders")
        _not_failed([created], "create_orders")
        target = _target_of(created, "create_orders")
        for attempt in ("delete_order", "a repeated delete_order"):
            (result,) = check_results([await session.delete_order(target)], [target], attempt)
            _not_failed([result], attempt)
        found = await session.find_orders([write.ext_id])
        _expect(found == {}, f"find_orders still finds a deleted order: {found}")


async def check_create_invoice(connector: Connector, harness: Harness) -> None:
    """An invoice from an order in accounting is created once; asking again makes no second one."""
    _require(connector, cap.INVOICES_WRITE)
    _require(connector, cap.ORDERS_WRITE)
    (write,) = await harness.order_writes(1)
    async with opened(connector, harness) as session:
        (created,) = check_results(await session.create_orders([write]), [write.ext_id], "create_orders")
        _not_failed([created], "create_orders")
        order_target = _target_of(created, "create_orders")
        (first,) = check_results(
            [await session.create_invoice(order_target, write)], [write.ext_id], "create_invoice"
        )
        _not_failed([first], "create_invoice")
        _target_of(first, "create_invoice")
        (second,) = check_results(
            [await session.create_invoice(order_target, write)], [write.ext_id], "create_invoice"
        )
        _expect(
            second.outcome != "created" and second.target_id in (None, first.target_id),
            f"a repeated create_invoice made a second invoice: {second.target_id} next to {first.target_id}",
        )


async def check_upsert_products(connector: Connector, harness: Harness) -> None:
    """Stock cards are written, one result each; writing them again creates nothing."""
    _require(connector, cap.PRODUCTS_WRITE)
    products = list(await harness.products_to_write(3))
    codes = [p.code for p in products]
    async with opened(connector, harness) as session:
        first = check_results(await session.upsert_products(products), codes, "upsert_products")
        _not_failed(first, "upsert_products")
        second = check_results(await session.upsert_products(products), codes, "upsert_products")
        _not_failed(second, "a repeated upsert_products")
        created = [r.key for r in second if r.outcome == "created"]
        _expect(not created, f"a repeated upsert_products created {created} again")


async def _check_level_write(connector: Connector, harness: Harness, capability: str, method: str) -> None:
    _require(connector, capability)
    codes = list(await _harness_gives(lambda: harness.stock_codes(2), "name codes the e-shop stocks"))
    levels = [
        StockLevel(
            code=code, on_hand=Decimal(7 + i), available=Decimal(5 + i), purchase_price=Decimal("12.50")
        )
        for i, code in enumerate(codes)
    ]
    unknown = StockLevel(
        code=f"contract-unknown-{secrets.token_hex(3)}", on_hand=Decimal(1), purchase_price=Decimal(1)
    )
    batch = [levels[0], unknown, *levels[1:]]
    async with opened(connector, harness) as session:
        results = check_results(await getattr(session, method)(batch), [lvl.code for lvl in batch], method)
    good = [r for r in results if r.key != unknown.code]
    _not_failed(good, f"{method} (next to an unknown code, which must fail alone)")


async def check_write_stock(connector: Connector, harness: Harness) -> None:
    """Levels are written one result per code; an unknown code fails alone."""
    await _check_level_write(connector, harness, cap.STOCK_WRITE, "write_stock")


async def check_write_prices(connector: Connector, harness: Harness) -> None:
    """Purchase prices are written one result per code; an unknown code fails alone."""
    await _check_level_write(connector, harness, cap.PRICES_WRITE, "write_purchase_prices")


async def check_fulfil_order(connector: Connector, harness: Harness) -> None:
    """An order is marked done; marking it again with the same fulfilment is harmless."""
    _require(connector, cap.ORDERS_FULFIL)
    (source_id,) = await _seed(harness, STREAMS["orders"], 1)
    fulfilment = Fulfilment(
        target_id="contract-1", carrier="PPL", tracking_number="40012345678", settled_at=_now()
    )
    async with opened(connector, harness) as session:
        for attempt in ("fulfil_order", "a repeated fulfil_order"):
            (result,) = check_results(
                [await session.fulfil_order(source_id, fulfilment)], [source_id], attempt
            )
            _not_failed([result], attempt)


# -- webhooks --------------------------------------------------------------------------------------
async def check_webhooks(connector: Connector, harness: Harness) -> None:
    """A genuine delivery verifies (same dedup key when repeated); a forged one is refused."""
    _require(connector, cap.ORDERS_WEBHOOK)
    (source_id,) = await _seed(harness, STREAMS["orders"], 1)
    headers, body = await _harness_gives(
        lambda: harness.webhook_delivery(source_id), "make webhook deliveries"
    )
    async with opened(connector, harness) as session:
        events = await session.verify_webhook(headers, body)
        _expect(isinstance(events, list) and events, "a genuine delivery gave no events")
        _expect(
            all(isinstance(e, WebhookEvent) for e in events),
            "verify_webhook gave something not a WebhookEvent",
        )
        _expect(any(e.object_id == source_id for e in events), f"no event is about order {source_id}")
        for event in events:
            _expect(event.dedup_key.strip(), "an event without a dedup key")
            problems = model_problems(event)
            _expect(not problems, f"a WebhookEvent: {'; '.join(problems)}")
        repeated = await session.verify_webhook(headers, body)
        _expect(
            [e.dedup_key for e in repeated] == [e.dedup_key for e in events],
            "the same delivery twice gave different dedup keys",
        )
        for label, forged_headers, forged_body in (
            ("a changed body", headers, body + b" "),
            ("no signature", {}, body),
        ):
            try:
                await session.verify_webhook(forged_headers, forged_body)
            except AuthExpiredError:
                continue
            raise ContractError(f"verify_webhook accepted a delivery with {label}")


async def check_register_webhooks(connector: Connector, harness: Harness) -> None:
    """Registering the platform's webhook URL works, and doing it twice is harmless."""
    _require(connector, cap.ORDERS_WEBHOOK)
    async with opened(connector, harness) as session:
        await session.register_webhooks(WEBHOOK_URL)
        await session.register_webhooks(WEBHOOK_URL)


# -- options ---------------------------------------------------------------------------------------
OPTION_LISTS = tuple(msgspec.structs.fields(RemoteOptions))


def options_problems(options: object) -> list[str]:
    """How ``options`` falls short of a usable :class:`RemoteOptions` (empty when it does not)."""
    if not isinstance(options, RemoteOptions):
        return [f"read_options() gave a {type(options).__name__}, not a RemoteOptions"]
    problems: list[str] = []
    for field in OPTION_LISTS:
        listed = getattr(options, field.name)
        if not isinstance(listed, tuple):
            problems.append(f"{field.name} is a {type(listed).__name__}, not a tuple")
            continue
        values: set[str] = set()
        for option in listed:
            if not isinstance(option, Option):
                problems.append(f"{field.name} holds a {type(option).__name__}, not an Option")
                continue
            if not isinstance(option.value, str) or not option.value.strip():
                problems.append(f"{field.name} has an option without a value: {option!r}")
            if not isinstance(option.label, str) or not option.label.strip():
                problems.append(f"{field.name} has an option without a label: {option!r}")
            if option.value in values:
                problems.append(f"{field.name} lists the value {option.value!r} twice")
            values.add(option.value)
    return problems


async def check_read_options(connector: Connector, harness: Harness) -> None:
    """The remote's choices: values and labels, unique values per list, stable, JSON-safe."""
    _require(connector, cap.OPTIONS_READ)
    async with opened(connector, harness) as session:
        first = await session.read_options()
        problems = options_problems(first)
        _expect(not problems, "; ".join(problems))
        try:
            back = msgspec.json.decode(msgspec.json.encode(first), type=RemoteOptions)
        except (msgspec.DecodeError, msgspec.ValidationError, TypeError) as exc:
            raise ContractError(f"the options do not survive a JSON round trip: {exc}") from None
        _expect(back == first, "the options changed in a JSON round trip")
        again = await session.read_options()
    _expect(again == first, "read_options() gave different lists when asked again")


# -- the pytest classes ----------------------------------------------------------------------------
STREAM_NAMES = tuple(STREAMS)
_TestMethod = Callable[..., Any]


def _needs(*capabilities: str) -> Callable[[_TestMethod], _TestMethod]:
    """Generate the decorated test only for a connector that declares all of ``capabilities``."""

    def mark(test: _TestMethod) -> _TestMethod:
        test.__contract_needs__ = frozenset(capabilities)  # type: ignore[attr-defined]
        return test

    return mark


def _per_stream(test: _TestMethod) -> _TestMethod:
    """Generate the decorated test once per stream the connector reads (its ``stream`` argument)."""
    test.__contract_per_stream__ = True  # type: ignore[attr-defined]
    return test


def declared_streams(connector: Connector) -> tuple[str, ...]:
    """The read streams whose capability ``connector`` declares, in :data:`STREAMS` order."""
    return tuple(name for name, stream in STREAMS.items() if stream.capability in connector.spec.capabilities)


class ConnectorContract:
    """The contract as pytest tests. Subclass it as ``Test...``, set ``connector_under_test`` to the
    connector object and provide a ``harness`` fixture (a :class:`Harness`).

    The subclass holds only the tests of what the connector declares: the others are removed when
    the class is made, so a report never shows a contract test as skipped.
    """

    #: The connector the suite checks; every concrete subclass sets it.
    connector_under_test: ClassVar[Connector | None] = None
    #: The read streams the connector declares (filled in when the subclass is made).
    contract_streams: ClassVar[tuple[str, ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        connector = cls.connector_under_test
        if connector is None:
            if cls.__name__.startswith("Test"):
                raise TypeError(f"{cls.__name__} must set connector_under_test to the connector it checks")
            return
        declared = set(connector.spec.capabilities)
        cls.contract_streams = declared_streams(connector)
        if not declared:
            # A connector that only checks credentials (a plugin in the making) opens no sessions.
            cls.test_session_implements_capabilities = None  # type: ignore[assignment,method-assign]
        for name in dir(cls):
            if not name.startswith("test_"):
                continue
            test = getattr(cls, name)
            needs: frozenset[str] = getattr(test, "__contract_needs__", frozenset())
            if not needs <= declared or (
                getattr(test, "__contract_per_stream__", False) and not cls.contract_streams
            ):
                # pytest collects nothing from a test name bound to None.
                setattr(cls, name, None)

    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        """Parametrize the per-stream tests with the streams the connector reads."""
        if "stream" in metafunc.fixturenames:
            metafunc.parametrize("stream", type(self).contract_streams)

    @pytest.fixture
    def connector(self) -> Connector:
        """The connector under test."""
        connector = type(self).connector_under_test
        assert connector is not None
        return connector

    def test_spec_identity(self, connector: Connector) -> None:
        check_spec_identity(connector)

    def test_spec_capabilities_known_for_kind(self, connector: Connector) -> None:
        check_spec_capabilities(connector)

    def test_spec_schemas_are_valid(self, connector: Connector) -> None:
        check_spec_schemas(connector)

    @pytest.mark.asyncio
    async def test_settings_fit_schemas(self, connector: Connector, harness: Harness) -> None:
        await check_settings_fit_schemas(connector, harness)

    @pytest.mark.asyncio
    async def test_check_accepts_good_credentials(self, connector: Connector, harness: Harness) -> None:
        await check_accepts_good_credentials(connector, harness)

    @pytest.mark.asyncio
    async def test_check_rejects_bad_credentials(self, connector: Connector, harness: Harness) -> None:
        await check_rejects_bad_credentials(connector, harness)

    @pytest.mark.asyncio
    async def test_session_implements_capabilities(self, connector: Connector, harness: Harness) -> None:
        await check_session_capabilities(connector, harness)

    @pytest.mark.asyncio
    @_per_stream
    async def test_reads_are_resumable(self, connector: Connector, harness: Harness, stream: str) -> None:
        await check_reads_resumable(connector, harness, stream)

    @pytest.mark.asyncio
    @_per_stream
    async def test_reads_never_pass_until(self, connector: Connector, harness: Harness, stream: str) -> None:
        await check_reads_never_pass_until(connector, harness, stream)

    @pytest.mark.asyncio
    @_needs(cap.ORDERS_READ)
    async def test_get_order(self, connector: Connector, harness: Harness) -> None:
        await check_get_order(connector, harness)

    @pytest.mark.asyncio
    @_needs(cap.ORDERS_WRITE)
    async def test_order_write_is_found_by_ext_id(self, connector: Connector, harness: Harness) -> None:
        await check_order_write_idempotent(connector, harness)

    @pytest.mark.asyncio
    @_needs(cap.ORDERS_WRITE)
    async def test_order_write_makes_no_twin(self, connector: Connector, harness: Harness) -> None:
        await check_order_write_makes_no_twin(connector, harness)

    @pytest.mark.asyncio
    @_needs(cap.ORDERS_WRITE)
    async def test_order_write_round_trips(self, connector: Connector, harness: Harness) -> None:
        await check_order_round_trip(connector, harness)

    @pytest.mark.asyncio
    @_needs(cap.ORDERS_WRITE, cap.ORDERS_DELETE)
    async def test_delete_order(self, connector: Connector, harness: Harness) -> None:
        await check_delete_order(connector, harness)

    @pytest.mark.asyncio
    @_needs(cap.ORDERS_WRITE, cap.INVOICES_WRITE)
    async def test_create_invoice(self, connector: Connector, harness: Harness) -> None:
        await check_create_invoice(connector, harness)

    @pytest.mark.asyncio
    @_needs(cap.PRODUCTS_WRITE)
    async def test_upsert_products(self, connector: Connector, harness: Harness) -> None:
        await check_upsert_products(connector, harness)

    @pytest.mark.asyncio
    @_needs(cap.STOCK_WRITE)
    async def test_write_stock(self, connector: Connector, harness: Harness) -> None:
        await check_write_stock(connector, harness)

    @pytest.mark.asyncio
    @_needs(cap.PRICES_WRITE)
    async def test_write_purchase_prices(self, connector: Connector, harness: Harness) -> None:
        await check_write_prices(connector, harness)

    @pytest.mark.asyncio
    @_needs(cap.ORDERS_FULFIL)
    async def test_fulfil_order(self, connector: Connector, harness: Harness) -> None:
        await check_fulfil_order(connector, harness)

    @pytest.mark.asyncio
    @_needs(cap.ORDERS_WEBHOOK)
    async def test_webhooks(self, connector: Connector, harness: Harness) -> None:
        await check_webhooks(connector, harness)

    @pytest.mark.asyncio
    @_needs(cap.ORDERS_WEBHOOK)
    async def test_register_webhooks(self, connector: Connector, harness: Harness) -> None:
        await check_register_webhooks(connector, harness)

    @pytest.mark.asyncio
    @_needs(cap.OPTIONS_READ)
    async def test_read_options(self, connector: Connector, harness: Harness) -> None:
        await check_read_options(connector, harness)


def contract_suite(
    connector: Connector, make_harness: Callable[[], Harness], *, name: str = "TestConnectorContract"
) -> type[ConnectorContract]:
    """A ready :class:`ConnectorContract` subclass: ``TestShoptetContract = contract_suite(connector,
    lambda: ShoptetHarness(...))``. ``make_harness`` runs once per test."""
    namespace: dict[str, Any] = {
        "connector_under_test": connector,
        "harness": pytest.fixture(lambda self: make_harness(), name="harness"),
    }
    suite = type(name, (ConnectorContract,), namespace)
    suite.__qualname__ = name
    return suite
