"""The in-memory shop and books behind real HTTP, for tests whose worker is another process.

Two halves, like :mod:`spojka.connector.testing.memory` itself:

- **the façade** (:class:`MemoryFacade`): a tiny ASGI app, served by uvicorn on a free loopback
  port in a background thread of the *test* process, that exposes every session method of the
  :class:`~spojka.connector.testing.MemoryShop` / :class:`~spojka.connector.testing.MemoryBooks`
  it serves as ``POST /{system}/{method}``. The body is msgspec JSON ``{"settings": {...},
  "args": {...}}`` (the connection's settings, the method's keyword arguments), the token travels
  as ``Authorization: Bearer``; the answer is the method's result as JSON, or an error
  ``{"error": "RetriableError", "message": ...}`` that the connectors raise again as the SDK's
  class. Incremental reads answer one page per request (``{"page": ..., "more": bool}``).
  The façade can be slow (``latency`` seconds per call, so a run of a few hundred orders takes
  seconds) and can really drop a connection after committing (:meth:`MemoryFacade.drop_after_commit`):
  the write is done, then the TCP connection is closed without a byte of answer.
- **the connectors** ``remote_shop`` (``remote-shop``) and ``remote_books`` (``remote-books``), with
  the capabilities of ``memory-shop`` / ``memory-books``, settings ``{"url": ..., "system": ...}``
  (plus the memory connectors' optional ones, e.g. ``page_size``) and credentials
  ``{"token": ...}``. They call the façade with httpx, so a worker subprocess loads them with
  ``SPOJKA_CONNECTOR_MODULES=tests.support.remote_memory:remote_shop,tests.support.remote_memory:remote_books``
  (with the repository root on ``PYTHONPATH``).

The systems keep living in the test process: inspect or change them under ``facade.locked()``,
because the server thread calls into them at the same time. Every call runs to its end inside that
lock (a memory system never waits), so a test always sees a write whole or not at all.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import socket
import threading
import time
import typing
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterator, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Any, Generic, Self, TypeVar

import httpx
import msgspec
import uvicorn

from spojka.connector import (
    AuthExpiredError,
    CheckResult,
    ConfigError,
    ConnectionContext,
    ConnectorError,
    ConnectorSpec,
    FatalError,
    RecordError,
    RetriableError,
)
from spojka.connector.capabilities import (
    OPTIONS_READ,
    FulfilmentPage,
    OrderPage,
    OrderWrite,
    ProductPage,
    StockPage,
    WebhookEvent,
    WriteResult,
)
from spojka.connector.model import Fulfilment, Order, Product, StockLevel
from spojka.connector.testing.memory import (
    BOOKS_SPEC,
    SHOP_SPEC,
    MemoryBooks,
    MemoryBooksSession,
    MemoryShop,
    MemoryShopSession,
    MemorySystem,
    memory_books,
    memory_shop,
)

__all__ = (
    "REMOTE_BOOKS_SPEC",
    "REMOTE_SHOP_SPEC",
    "MemoryFacade",
    "RemoteBooksConnector",
    "RemoteBooksSession",
    "RemoteShopConnector",
    "RemoteShopSession",
    "remote_books",
    "remote_shop",
)

log = logging.getLogger(__name__)
T = TypeVar("T")
P = TypeVar("P")

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

#: HTTP status of each error class on the wire (the connectors map them back by name).
_ERROR_STATUS: dict[type[ConnectorError], int] = {
    RetriableError: 503,
    AuthExpiredError: 401,
    ConfigError: 400,
    RecordError: 422,
    FatalError: 409,
}
_ERRORS_BY_NAME: dict[str, type[ConnectorError]] = {cls.__name__: cls for cls in _ERROR_STATUS}
#: Incremental reads: one page per request.
_PAGED = frozenset({"read_orders", "read_products", "read_stock", "read_fulfilments"})
_SESSION_CLASSES: dict[str, type[Any]] = {"eshop": MemoryShopSession, "accounting": MemoryBooksSession}
_CONNECTORS: dict[str, Any] = {"eshop": memory_shop, "accounting": memory_books}
_TIMEOUT = httpx.Timeout(30.0, connect=5.0)


class _Paged(msgspec.Struct, Generic[P], kw_only=True):
    """One page of an incremental read, and whether another may follow."""

    page: P | None = None
    more: bool = False


class _Problem(msgspec.Struct, kw_only=True, rename="camel"):
    error: str
    message: str
    retry_after: float | None = None
    record_id: str | None = None
    details: dict[str, Any] = msgspec.field(default_factory=dict)


_encoder = msgspec.json.Encoder()


# -- the server -----------------------------------------------------------------------------------
def _resolve(awaitable: Awaitable[T]) -> T:
    """Run a memory system's coroutine to its end right now: it never waits for anything, and it
    must not, since it runs under the façade's thread lock."""
    coro = typing.cast(Coroutine[Any, Any, T], awaitable)
    try:
        coro.send(None)
    except StopIteration as done:
        return typing.cast(T, done.value)
    coro.close()
    raise RuntimeError("a memory system call tried to wait; the façade cannot serve it")


@dataclass(frozen=True, slots=True)
class _Method:
    name: str
    #: Decodes the request body into settings and typed keyword arguments.
    envelope: type[msgspec.Struct]


def _method(kind: str, name: str) -> _Method:
    cls = _SESSION_CLASSES[kind]
    function = getattr(cls, name)
    hints = typing.get_type_hints(function)
    fields: list[tuple[str, Any] | tuple[str, Any, Any]] = []
    for parameter in list(inspect.signature(function).parameters.values())[1:]:
        if parameter.default is inspect.Parameter.empty:
            fields.append((parameter.name, hints[parameter.name]))
        else:
            fields.append((parameter.name, hints[parameter.name], parameter.default))
    arguments = msgspec.defstruct(f"{name}_args", fields, kw_only=True, forbid_unknown_fields=True)
    envelope = msgspec.defstruct(
        f"{name}_call",
        [("settings", dict[str, Any]), ("args", arguments, msgspec.field(default_factory=arguments))],
        kw_only=True,
    )
    return _Method(name, envelope)


_METHODS: dict[tuple[str, str], _Method] = {
    (system.kind, name): _method(system.kind, name)
    for system in (MemoryShop, MemoryBooks)
    for name in sorted(system.METHODS - {"check", "open"})
}


class _CheckCall(msgspec.Struct, kw_only=True):
    settings: dict[str, Any]
    args: dict[str, Any] = msgspec.field(default_factory=dict)


class MemoryFacade:
    """Serves in-memory systems over HTTP on ``127.0.0.1:<free port>`` from a background thread.

    ``latency`` (seconds, changeable at any time) is waited before each call is served.
    ``requests`` counts the calls received per ``"system/method"``; ``dropped`` lists the calls
    whose connection was dropped after their work was done.
    """

    def __init__(self, *systems: MemorySystem, latency: float = 0.0) -> None:
        self.systems: dict[str, MemorySystem] = {s.name: s for s in systems}
        self.latency = latency
        self.lock = threading.Lock()
        self.requests: Counter[str] = Counter()
        self.dropped: list[str] = []
        self._drops: dict[tuple[str, str], list[int]] = {}
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._port = 0

    # -- control ----------------------------------------------------------------------------
    @property
    def url(self) -> str:
        if not self._port:
            raise RuntimeError("the façade is not started")
        return f"http://127.0.0.1:{self._port}"

    def settings(self, system: MemorySystem, **extra: Any) -> dict[str, Any]:
        """Connection settings of a remote connector talking to ``system`` through this façade."""
        return {"url": self.url, "system": system.name, **extra}

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Hold off the server thread while the test reads or changes the systems."""
        with self.lock:
            yield

    def drop_after_commit(self, system: MemorySystem | str, method: str, *, after_calls: int = 0) -> None:
        """Let ``after_calls`` calls of ``method`` through, then do the next one's work and close
        its TCP connection without answering (queued: call twice to drop two calls)."""
        name = system if isinstance(system, str) else system.name
        with self.lock:
            self._drops.setdefault((name, method), []).append(after_calls)

    def pending_drops(self) -> int:
        with self.lock:
            return sum(len(queue) for queue in self._drops.values())

    def total_requests(self) -> int:
        with self.lock:
            return sum(self.requests.values())

    def start(self) -> Self:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self._port = sock.getsockname()[1]
        config = uvicorn.Config(
            self,
            lifespan="off",
            log_level="warning",
            access_log=False,
            loop="asyncio",
            timeout_graceful_shutdown=5,
        )
        server = uvicorn.Server(config)
        self._server = server
        self._thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name="memory-facade", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 15
        while not server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the memory façade did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is None or thread is None:
            return
        server.should_exit = True
        thread.join(15)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # -- ASGI -------------------------------------------------------------------------------
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        parts = scope["path"].strip("/").split("/")
        body = await _read_body(receive)
        if scope["method"] != "POST" or len(parts) != 2:
            await _answer(send, 404, _encoder.encode({"error": "NotFound", "message": "No such endpoint."}))
            return
        name, method = parts
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        token = headers.get("authorization", "").removeprefix("Bearer ")
        with self.lock:
            self.requests[f"{name}/{method}"] += 1
        if self.latency > 0:
            await asyncio.sleep(self.latency)
        with self.lock:
            status, payload = self._serve(name, method, body, token)
            drop = self._take_drop(name, method)
        if drop:
            await _drop_connection(receive)
            return
        await _answer(send, status, payload)

    def _take_drop(self, name: str, method: str) -> bool:
        queue = self._drops.get((name, method))
        if not queue:
            return False
        if queue[0] > 0:
            queue[0] -= 1
            return False
        queue.pop(0)
        self.dropped.append(f"{name}/{method}")
        return True

    def _serve(self, name: str, method: str, body: bytes, token: str) -> tuple[int, bytes]:
        system = self.systems.get(name)
        try:
            if system is None:
                raise ConfigError(f"The façade serves no system named {name!r}.")
            if method == "check":
                call = msgspec.json.decode(body, type=_CheckCall)
                connector = _CONNECTORS[system.kind]
                settings = {**call.settings, "system": name}
                result = _resolve(connector.check(settings, {"token": token}))
                return 200, _encoder.encode(result)
            spec = _METHODS.get((system.kind, method))
            if spec is None:
                raise FatalError(f"The {system.kind} {name!r} has no method {method!r}.")
            envelope = msgspec.json.decode(body, type=spec.envelope)
            settings = {**getattr(envelope, "settings"), "system": name}  # noqa: B009
            arguments = msgspec.structs.asdict(getattr(envelope, "args"))  # noqa: B009
            return 200, _encoder.encode(_resolve(self._invoke(system, method, settings, arguments, token)))
        except ConnectorError as exc:
            return _ERROR_STATUS.get(type(exc), 500), _problem(exc)
        except (msgspec.ValidationError, msgspec.DecodeError) as exc:
            return 400, _problem(FatalError(f"The façade could not read the request: {exc}"))
        except Exception as exc:  # a fault of the façade itself: loud, never retried
            log.exception("memory façade: %s/%s failed", name, method)
            return 500, _problem(FatalError(f"The memory façade failed: {type(exc).__name__}: {exc}"))

    async def _invoke(
        self,
        system: MemorySystem,
        method: str,
        settings: dict[str, Any],
        arguments: dict[str, Any],
        token: str,
    ) -> Any:
        context = ConnectionContext(
            connection_id=f"facade-{system.name}", settings=settings, credentials={"token": token}
        )
        async with _CONNECTORS[system.kind].open(context) as session:
            target = getattr(session, method)
            if method not in _PAGED:
                return await target(**arguments)
            pages = target(**arguments)
            try:
                page = await anext(pages, None)
            finally:
                await pages.aclose()
            size = session.settings.page_size
            count = len(msgspec.structs.astuple(page)[0]) if page is not None else 0
            return _Paged(page=page, more=count >= size)


def _problem(exc: ConnectorError) -> bytes:
    return _encoder.encode(
        _Problem(
            error=type(exc).__name__,
            message=exc.message,
            retry_after=getattr(exc, "retry_after", None),
            record_id=getattr(exc, "record_id", None),
            details=exc.details,
        )
    )


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


async def _answer(send: Send, status: int, body: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _drop_connection(receive: Receive) -> None:
    """Close the client's TCP connection without answering: the remote committed, the caller
    never learns it. uvicorn's ``receive`` is a method of the request cycle, which holds the
    connection's transport."""
    transport = getattr(getattr(receive, "__self__", None), "transport", None)
    if not isinstance(transport, asyncio.Transport):
        raise RuntimeError("this uvicorn does not expose the connection; cannot drop it")
    transport.abort()
    # Wait for uvicorn to notice, so it does not answer 500 for a response never started.
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(5):
            while (await receive())["type"] != "http.disconnect":
                pass


# -- the connectors -------------------------------------------------------------------------------
def _remote_spec(base: ConnectorSpec, key: str, title: str) -> ConnectorSpec:
    properties = {
        "url": {
            "type": "string",
            "pattern": "^https?://",
            "title": "Façade URL",
            "description": "Where the test's memory façade listens (http://127.0.0.1:PORT).",
        },
        **base.settings_schema["properties"],
    }
    settings_schema = {
        **base.settings_schema,
        "properties": properties,
        "required": ["url", *base.settings_schema.get("required", [])],
    }
    return msgspec.structs.replace(
        base,
        key=key,
        title=title,
        description=f"{base.description} Reached over HTTP through a test's memory façade.",
        settings_schema=settings_schema,
        # The façade carries the engine's calls; the link editor's choices are not among them.
        capabilities=tuple(c for c in base.capabilities if c != OPTIONS_READ),
    )


REMOTE_SHOP_SPEC = _remote_spec(SHOP_SPEC, "remote-shop", "In-memory e-shop over HTTP")
REMOTE_BOOKS_SPEC = _remote_spec(BOOKS_SPEC, "remote-books", "In-memory accounting over HTTP")


def _raise_for(response: httpx.Response, system: str) -> None:
    if response.status_code == 200:
        return
    try:
        problem = msgspec.json.decode(response.content, type=_Problem)
    except (msgspec.ValidationError, msgspec.DecodeError):
        problem = None
    cls = _ERRORS_BY_NAME.get(problem.error) if problem is not None else None
    if problem is None or cls is None:
        message = f"{system} answered HTTP {response.status_code}."
        if response.status_code >= 500:
            raise RetriableError(message)
        raise FatalError(message)
    if cls is RetriableError:
        raise RetriableError(problem.message, retry_after=problem.retry_after, details=problem.details)
    if cls is RecordError:
        raise RecordError(problem.message, record_id=problem.record_id, details=problem.details)
    raise cls(problem.message, details=problem.details)


def _split_settings(settings: Mapping[str, Any]) -> tuple[str, str, dict[str, Any]]:
    url, system = settings.get("url"), settings.get("system")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise ConfigError("The setting 'url' must be the memory façade's http:// address.")
    if not isinstance(system, str) or not system:
        raise ConfigError("The setting 'system' must name a system the façade serves.")
    rest = {k: v for k, v in settings.items() if k not in {"url", "system"}}
    return url.rstrip("/"), system, rest


class _RemoteSession:
    def __init__(self, client: httpx.AsyncClient, system: str, settings: dict[str, Any]) -> None:
        self._client = client
        self._system = system
        self._settings = settings

    async def _call(self, method: str, args: dict[str, Any], result: Any) -> Any:
        body = _encoder.encode({"settings": self._settings, "args": args})
        try:
            response = await self._client.post(f"/{self._system}/{method}", content=body)
        except httpx.TransportError as exc:
            # Also a connection dropped after the remote committed: the engine must find the
            # write by its external id rather than make it again.
            raise RetriableError(
                f"The connection to {self._system} failed: {type(exc).__name__}: {exc}"
            ) from exc
        _raise_for(response, self._system)
        try:
            return msgspec.json.decode(response.content, type=result)
        except (msgspec.ValidationError, msgspec.DecodeError) as exc:
            raise FatalError(f"{self._system} answered something unreadable: {exc}") from exc

    async def _pages(self, method: str, cursor: str | None, until: datetime, page: Any) -> AsyncIterator[Any]:
        while True:
            answer: _Paged[Any] = await self._call(method, {"cursor": cursor, "until": until}, _Paged[page])
            if answer.page is None:
                return
            yield answer.page
            if not answer.more:
                return
            cursor = answer.page.cursor


class RemoteShopSession(_RemoteSession):
    """Every e-shop capability of ``memory-shop``, over HTTP."""

    async def read_orders(self, cursor: str | None, *, until: datetime) -> AsyncIterator[OrderPage]:
        async for page in self._pages("read_orders", cursor, until, OrderPage):
            yield page

    async def get_order(self, source_id: str) -> Order | None:
        found: Order | None = await self._call("get_order", {"source_id": source_id}, Order | None)
        return found

    async def verify_webhook(self, headers: Mapping[str, str], body: bytes) -> list[WebhookEvent]:
        events: list[WebhookEvent] = await self._call(
            "verify_webhook", {"headers": dict(headers), "body": body}, list[WebhookEvent]
        )
        return events

    async def register_webhooks(self, url: str) -> None:
        await self._call("register_webhooks", {"url": url}, None)

    async def write_stock(self, levels: Sequence[StockLevel]) -> list[WriteResult]:
        results: list[WriteResult] = await self._call("write_stock", {"levels": levels}, list[WriteResult])
        return results

    async def write_purchase_prices(self, levels: Sequence[StockLevel]) -> list[WriteResult]:
        results: list[WriteResult] = await self._call(
            "write_purchase_prices", {"levels": levels}, list[WriteResult]
        )
        return results

    async def read_products(self, cursor: str | None, *, until: datetime) -> AsyncIterator[ProductPage]:
        async for page in self._pages("read_products", cursor, until, ProductPage):
            yield page

    async def fulfil_order(self, source_id: str, fulfilment: Fulfilment) -> WriteResult:
        result: WriteResult = await self._call(
            "fulfil_order", {"source_id": source_id, "fulfilment": fulfilment}, WriteResult
        )
        return result


class RemoteBooksSession(_RemoteSession):
    """Every accounting capability of ``memory-books``, over HTTP."""

    async def find_orders(self, ext_ids: Sequence[str]) -> dict[str, str]:
        found: dict[str, str] = await self._call("find_orders", {"ext_ids": list(ext_ids)}, dict[str, str])
        return found

    async def create_orders(self, writes: Sequence[OrderWrite]) -> list[WriteResult]:
        results: list[WriteResult] = await self._call(
            "create_orders", {"writes": list(writes)}, list[WriteResult]
        )
        return results

    async def delete_order(self, target_id: str) -> WriteResult:
        result: WriteResult = await self._call("delete_order", {"target_id": target_id}, WriteResult)
        return result

    async def create_invoice(self, order_target_id: str, write: OrderWrite) -> WriteResult:
        result: WriteResult = await self._call(
            "create_invoice", {"order_target_id": order_target_id, "write": write}, WriteResult
        )
        return result

    async def read_stock(self, cursor: str | None, *, until: datetime) -> AsyncIterator[StockPage]:
        async for page in self._pages("read_stock", cursor, until, StockPage):
            yield page

    async def upsert_products(self, products: Sequence[Product]) -> list[WriteResult]:
        results: list[WriteResult] = await self._call(
            "upsert_products", {"products": list(products)}, list[WriteResult]
        )
        return results

    async def read_fulfilments(self, cursor: str | None, *, until: datetime) -> AsyncIterator[FulfilmentPage]:
        async for page in self._pages("read_fulfilments", cursor, until, FulfilmentPage):
            yield page


S = TypeVar("S", bound=_RemoteSession)


class _RemoteConnector(Generic[S]):
    spec: ConnectorSpec
    session_class: type[S]

    async def check(self, settings: Mapping[str, Any], credentials: Mapping[str, str]) -> CheckResult:
        try:
            url, system, rest = _split_settings(settings)
        except ConfigError as exc:
            return CheckResult(ok=False, message=exc.message)
        try:
            async with self._client(url, credentials) as client:
                response = await client.post(f"/{system}/check", content=_encoder.encode({"settings": rest}))
            _raise_for(response, system)
            return msgspec.json.decode(response.content, type=CheckResult)
        except httpx.TransportError as exc:
            return CheckResult(ok=False, message=f"The memory façade at {url} cannot be reached: {exc}")
        except ConnectorError as exc:
            return CheckResult(ok=False, message=exc.message, details={"error": type(exc).__name__})

    def open(self, context: ConnectionContext) -> AbstractAsyncContextManager[S]:
        return self._open(context)

    @asynccontextmanager
    async def _open(self, context: ConnectionContext) -> AsyncIterator[S]:
        url, system, rest = _split_settings(context.settings)
        async with self._client(url, context.credentials) as client:
            yield self.session_class(client, system, rest)

    @staticmethod
    def _client(url: str, credentials: Mapping[str, str]) -> httpx.AsyncClient:
        token = credentials.get("token", "")
        return httpx.AsyncClient(
            base_url=url,
            timeout=_TIMEOUT,
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )


class RemoteShopConnector(_RemoteConnector[RemoteShopSession]):
    """``remote-shop``: a :class:`MemoryShop` served by a :class:`MemoryFacade`."""

    spec = REMOTE_SHOP_SPEC
    session_class = RemoteShopSession


class RemoteBooksConnector(_RemoteConnector[RemoteBooksSession]):
    """``remote-books``: a :class:`MemoryBooks` served by a :class:`MemoryFacade`."""

    spec = REMOTE_BOOKS_SPEC
    session_class = RemoteBooksSession


#: What ``SPOJKA_CONNECTOR_MODULES`` names (``tests.support.remote_memory:remote_shop,...``).
remote_shop = RemoteShopConnector()
remote_books = RemoteBooksConnector()
