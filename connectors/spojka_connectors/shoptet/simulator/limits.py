"""The API's limits and the injected faults, as an ASGI middleware in front of the routes.

- The leaky bucket per e-shop: :attr:`State.bucket_size` drops leaking :attr:`State.leak_per_second`
  (on a clock :attr:`State.time_scale` times faster than the wall clock); every request pours one
  drop; every answer carries ``X-RateLimit-Bucket-Filling: level/size``; a request that does not fit
  is answered 429 with ``Retry-After`` as an HTTP date.
- At most :attr:`State.max_connections` requests of one token at a time, else 429.
- A write (PATCH, POST, PUT, DELETE) to a URL that is being written already answers 423.
- Faults from :meth:`State.take_fault`: latency, an HTTP status, a dropped connection, a 429 storm.

Only ``/api/`` paths are limited; the OAuth server and the control API are not.
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any, Final

import msgspec

from spojka_connectors.shoptet.simulator.protocol import error_item, request_id
from spojka_connectors.shoptet.simulator.state import Fault, State

Scope = dict[str, Any]
Receive = Any
Send = Any
WRITES: Final = frozenset({"PATCH", "POST", "PUT", "DELETE"})


class Bucket:
    """The e-shop's leaky bucket, on a clock that may run faster than the wall clock."""

    def __init__(self, state: State) -> None:
        self.state = state
        self.level = 0.0
        self._at = time.monotonic()
        self._lock = threading.Lock()

    def _drain(self) -> None:
        now = time.monotonic()
        leaked = (now - self._at) * self.state.leak_per_second * self.state.time_scale
        self.level = max(0.0, self.level - leaked)
        self._at = now

    def pour(self, cost: float = 1.0) -> float | None:
        """Pour ``cost`` drops; ``None`` when they fit, else the wall-clock seconds until they would."""
        with self._lock:
            self._drain()
            if self.level + cost > self.state.bucket_size:
                excess = self.level + cost - self.state.bucket_size
                return excess / (self.state.leak_per_second * self.state.time_scale)
            self.level += cost
            return None

    def fill(self, level: float) -> None:
        """Control: set the bucket's level (e.g. full, to start a benchmark in the steady state)."""
        with self._lock:
            self._drain()
            self.level = level

    def header(self) -> str:
        with self._lock:
            self._drain()
            return f"{math.ceil(self.level)}/{int(self.state.bucket_size)}"


def _headers(status: int, extra: dict[str, str]) -> list[tuple[bytes, bytes]]:
    return [(b"content-type", b"application/json; charset=utf-8")] + [
        (k.lower().encode(), v.encode()) for k, v in extra.items()
    ]


async def _answer(send: Send, status: int, code: str, message: str, headers: dict[str, str]) -> None:
    rid = request_id()
    body = msgspec.json.encode(
        {"data": None, "errors": [error_item(code, message)], "metadata": {"requestId": rid}}
    )
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": _headers(status, {"X-Request-ID": rid, **headers}),
        }
    )
    await send({"type": "http.response.body", "body": body})


class LimitsMiddleware:
    """Wraps the simulator's app; see the module's docstring."""

    def __init__(self, app: Any, state: State, bucket: Bucket | None = None) -> None:
        self.app = app
        self.state = state
        self.bucket = bucket or Bucket(state)
        self._in_flight: Counter[str] = Counter()
        self._writing: set[str] = set()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/api/"):
            await self.app(scope, receive, send)
            return
        query = scope.get("query_string", b"").decode("latin-1")
        self.state.request_log.append((scope["method"], scope["path"], query))
        self.state.request_times.append(time.monotonic())
        fault = self.state.take_fault(scope["path"])
        delay = fault.seconds if fault is not None and fault.kind == "latency" else 0.0
        if fault is not None and fault.kind != "latency" and await self._misbehave(fault, send):
            return
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        token = headers.get("shoptet-private-api-token") or headers.get("shoptet-access-token") or ""
        state = self.state
        if state.limits_enabled and self._in_flight[token] >= state.max_connections:
            state.throttled += 1
            await _answer(
                send,
                429,
                "too-many-requests",
                f"Too many concurrent connections; at most {state.max_connections} per token.",
                {},
            )
            return
        if state.limits_enabled:
            wait = self.bucket.pour()
            if wait is not None:
                state.throttled += 1
                retry_at = datetime.now(UTC) + timedelta(seconds=math.ceil(wait))
                await _answer(
                    send,
                    429,
                    "too-many-requests",
                    "The rate limit was exceeded; the bucket is full.",
                    {
                        "Retry-After": format_datetime(retry_at, usegmt=True),
                        "X-RateLimit-Bucket-Filling": self.bucket.header(),
                    },
                )
                return
        write_key = f"{scope['method']} {scope['path']}?{scope.get('query_string', b'').decode()}"
        is_write = scope["method"] in WRITES
        if is_write and write_key in self._writing:
            await _answer(send, 423, "locked", "The same resource is being changed by another request.", {})
            return
        self._in_flight[token] += 1
        if is_write:
            self._writing.add(write_key)
        released = False

        def release() -> None:
            # The request is over once its answer is complete: a client may send the next one the
            # moment it has read it, before this task runs again.
            nonlocal released
            if not released:
                released = True
                self._in_flight[token] -= 1
                if is_write:
                    self._writing.discard(write_key)

        try:
            if delay:
                # A slow answer holds its connection (and its write lock) the whole time.
                await asyncio.sleep(delay)
            await self.app(scope, receive, self._with_bucket_header(send, release))
        finally:
            release()

    def _with_bucket_header(self, send: Send, on_complete: Callable[[], None]) -> Send:
        async def wrapped(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                extra = [(b"x-ratelimit-bucket-filling", self.bucket.header().encode())]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            elif message["type"] == "http.response.body" and not message.get("more_body", False):
                on_complete()
            await send(message)

        return wrapped

    async def _misbehave(self, fault: Fault, send: Send) -> bool:
        """Act out ``fault``; ``True`` when the request was answered (or dropped) by it."""
        if fault.kind == "status":
            await _answer(send, fault.status, "simulated-failure", "A simulated server failure.", {})
            return True
        if fault.kind == "storm":
            retry_at = datetime.now(UTC) + timedelta(seconds=max(1, math.ceil(fault.seconds)))
            await _answer(
                send,
                429,
                "too-many-requests",
                "The rate limit was exceeded.",
                {"Retry-After": format_datetime(retry_at, usegmt=True)},
            )
            return True
        # drop: promise a body, send part of it, and break the connection.
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"100")]})
        await send({"type": "http.response.body", "body": b'{"data":', "more_body": True})
        msg = "simulated dropped connection"
        raise ConnectionAbortedError(msg)
