"""``POST /xml`` as a raw ASGI endpoint: the mServer's data-pack door.

It is raw ASGI rather than a Litestar route because a fault the tests need, "the connection drops
after POHODA committed", means closing the socket without any HTTP answer, which a framework
response cannot do. Requests are processed one at a time (the mServer serializes them: a second
request waits for the first, and ``/status`` says ``busy`` meanwhile), each taking the configured
processing time per imported document and per exported record.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from lxml import etree

from spojka_connectors.pohoda.simulator.auth import authenticated, header
from spojka_connectors.pohoda.simulator.packs import MalformedError, process
from spojka_connectors.pohoda.simulator.schemas import Schemas
from spojka_connectors.pohoda.simulator.state import State
from spojka_connectors.pohoda.xmlns import serialize

log = logging.getLogger(__name__)

Scope = dict[str, Any]
Receive = Any
Send = Any


class XmlEndpoint:
    """The ``/xml`` handler of one simulated mServer."""

    def __init__(self, state: State, schemas: Schemas) -> None:
        self.state = state
        self.schemas = schemas
        self._lock: asyncio.Lock | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        state = self.state
        if scope["method"] != "POST":
            # "Metoda GET není pro přenos XML dat podporována."
            await _plain(send, 405, "Metoda GET není pro přenos XML dat podporována.")
            return
        headers = scope["headers"]
        if not authenticated(headers, state):
            await _plain(send, 401, "Unauthorized")
            return
        if not state.user_may_open_company:
            await _plain(send, 403, "Forbidden")
            return
        body = await _read_body(receive)
        if not state.available or state.faults.unavailable > 0:
            state.faults.unavailable = max(0, state.faults.unavailable - 1)
            await _plain(send, 503, "Service Unavailable")
            return
        if self._lock is None:
            self._lock = asyncio.Lock()
        state.processing += 1
        try:
            async with self._lock:
                processed = await self._process(body, header(headers, b"stw-check-duplicity") == b"true")
        finally:
            state.processing -= 1
        if processed is None:
            await _plain(send, 400, "Bad Request: the body is not well-formed XML.")
            return
        reply, documents = processed
        if documents and state.faults.drop_after_commit > 0:
            state.faults.drop_after_commit -= 1
            await _drop(send)
            return
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", b"text/xml; charset=Windows-1250"),
                    (b"content-length", str(len(reply)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": reply})

    async def _process(self, body: bytes, check_duplicity: bool) -> tuple[bytes, int] | None:
        started = time.perf_counter()
        try:
            reply, documents, records = process(
                self.state, self.schemas, body, check_duplicity=check_duplicity
            )
        except MalformedError:
            return None
        # The simulator's own work counts towards the configured processing time.
        faults = self.state.faults
        budget = documents * faults.latency_per_document + records * faults.latency_per_record
        # A reply that does not validate is a bug of the simulator: fail loudly (HTTP 500).
        self.schemas.check_response(etree.ElementTree(reply))
        encoded = serialize(reply)
        remaining = budget - (time.perf_counter() - started)
        if remaining > 0:
            await asyncio.sleep(remaining)
        return encoded, documents


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


async def _plain(send: Send, status: int, text: str) -> None:
    body = text.encode("cp1250")
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"text/plain; charset=Windows-1250")],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _drop(send: Send) -> None:
    """Close the connection with no answer (the work is committed: POHODA finished it)."""
    transport = getattr(getattr(send, "__self__", None), "transport", None)
    if transport is not None:
        # uvicorn's send is a method of its request cycle, which holds the socket's transport.
        transport.close()
        return
    # Another server: promise a body and break off, which a client also sees as a lost answer.
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"1000")]})
    await send({"type": "http.response.body", "body": b"<", "more_body": False})
