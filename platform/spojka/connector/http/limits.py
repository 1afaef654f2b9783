"""Per-connection limits shared by every client of one connection: a concurrency cap and a pacer.

The pacer models the remote's leaky bucket: every request pours ``cost`` drops in, the bucket
leaks ``leak_per_second``, and a request waits until its drops fit. The remote counts a request
when it arrives, a moment we never see: somewhere between sending it and reading its answer, after
a delay that differs from one request to the next. So a request's drops count in full from the
moment it is let out and leak only from its answer on (the latest it can have arrived): were they
to leak from the send, a late request and an early one after it could land closer together than
we paced them, and overflow a full bucket. The remote may know better
(its drops are computed after the fact, from the response size): :meth:`ConnectionLimiter.observe_bucket`
takes its view, and a ``Retry-After`` pauses every request of the connection, not just the one
that was refused.

Those limits hold within one process. Where a connection is served by several worker processes,
the platform registers a :class:`SharedLimits` backend (:func:`use_shared_limits`, kept in Redis):
every limiter made afterwards also takes a connection-wide concurrency slot and asks the shared
bucket before each request, so the workers together stay within the remote's limits.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import Final, Protocol, runtime_checkable

from spojka.connector.spec import RateLimit

__all__ = (
    "Clock",
    "ConnectionLimiter",
    "LeakyBucket",
    "SharedLimits",
    "Sleep",
    "WaitTooLong",
    "limiter_for",
    "parse_bucket_filling",
    "use_shared_limits",
)

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]

# Waits shorter than this are rounded to none: float arithmetic on the clock can leave a remainder
# that no sleep can ever make go away.
_TOLERANCE: Final = 1e-6
_FILLING: Final = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(?:/\s*(\d+(?:\.\d+)?)\s*)?$")


class WaitTooLong(Exception):  # noqa: N818 (a signal between our modules, not an error for users)
    """Raised instead of sleeping when the wait would run past the caller's deadline."""

    def __init__(self, wait: float) -> None:
        super().__init__(f"would have to wait {wait:.1f} s")
        self.wait = wait


def parse_bucket_filling(value: str) -> tuple[float, float | None] | None:
    """``"123/200"`` → ``(123.0, 200.0)``; ``"123"`` → ``(123.0, None)``; anything else → ``None``."""
    match = _FILLING.match(value)
    if match is None:
        return None
    capacity = float(match.group(2)) if match.group(2) else None
    return float(match.group(1)), capacity


class LeakyBucket:
    """Our estimate of the remote's bucket: ``size`` drops, leaking ``leak_per_second``."""

    def __init__(self, size: float, leak_per_second: float, clock: Clock) -> None:
        if size <= 0 or leak_per_second <= 0:
            msg = "a leaky bucket needs a positive size and leak rate"
            raise ValueError(msg)
        self.size = float(size)
        self.leak_per_second = float(leak_per_second)
        self._clock = clock
        self._level = 0.0
        self._at = clock()
        # Drops of requests on their way: the remote may not have them yet, or may have them since
        # the moment they left; until their answer they count in full and do not leak.
        self._in_flight = 0.0

    def _drain(self) -> None:
        now = self._clock()
        self._level = max(0.0, self._level - (now - self._at) * self.leak_per_second)
        self._at = now

    @property
    def level(self) -> float:
        """Drops in the bucket now, at most: those of requests still on their way included."""
        self._drain()
        return self._level + self._in_flight

    def wait_for(self, cost: float) -> float:
        """Seconds until ``cost`` drops fit (a cost above the size is treated as a full bucket).

        Drops on their way do not leak, so with some in flight this is the least wait: ask again.
        """
        self._drain()
        excess = self._level + self._in_flight + min(cost, self.size) - self.size
        return max(0.0, excess / self.leak_per_second)

    def pour(self, cost: float) -> None:
        """Drops the remote has now (they leak from this moment)."""
        self._drain()
        self._level += cost

    def send(self, cost: float) -> None:
        """A request of ``cost`` drops is let out: they count in full until :meth:`answered`."""
        self._in_flight += cost

    def answered(self, cost: float) -> None:
        """The request of :meth:`send` is over (answered, or failed): it has arrived if it ever
        will, so its drops join the bucket now and leak from here on."""
        self._in_flight = max(0.0, self._in_flight - cost)
        self.pour(cost)

    def observe(self, filling: float) -> None:
        """The remote's own count: it wins when higher, since ours only guesses the cost of a request."""
        self._drain()
        self._level = max(self._level, filling)


@runtime_checkable
class SharedLimits(Protocol):
    """Limits kept outside the process, shared by every worker of a connection (``key``)."""

    def concurrency(self, key: str, limit: int) -> AbstractAsyncContextManager[None]:
        """Hold one of the ``limit`` connection-wide request slots of ``key`` for the block."""
        ...

    async def reserve(
        self,
        key: str,
        *,
        size: float | None,
        leak_per_second: float | None,
        cost: float,
        observed: float | None = None,
        pause_seconds: float = 0.0,
    ) -> float:
        """Pour ``cost`` drops into the shared bucket if they fit and no pause holds: returns 0.
        Otherwise pour nothing and return the seconds to wait before asking again. ``observed``
        (the remote's reported filling) and ``pause_seconds`` (a ``Retry-After``) are applied
        first. Without ``size`` and ``leak_per_second`` only the pause counts."""
        ...

    async def settle(
        self, key: str, *, leak_per_second: float, cost: float, seconds_in_flight: float
    ) -> None:
        """A request reserved ``seconds_in_flight`` ago is answered: the drops the shared bucket
        leaked for it meanwhile (at most ``cost``) go back in, so that they leak from its answer on,
        as :meth:`LeakyBucket.answered` does in one process. Never raises: it only refines a guess."""
        ...


# One per event loop, like the limiters: the backend's Redis client belongs to its loop.
_SHARED: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, SharedLimits] = weakref.WeakKeyDictionary()


def use_shared_limits(backend: SharedLimits | None) -> None:
    """Make (or stop making) the limiters of the running event loop connection-wide.

    The platform calls it when a worker or the API starts; limiters made before keep their mode.
    """
    loop = asyncio.get_running_loop()
    if backend is None:
        _SHARED.pop(loop, None)
    else:
        _SHARED[loop] = backend
    _REGISTRIES.pop(loop, None)


class ConnectionLimiter:
    """The limits of one connection, shared by all its clients in this process (and event loop),
    and across processes when made with a ``key`` and a :class:`SharedLimits` backend.

    ``max_concurrency`` requests at a time; a :class:`LeakyBucket` if the limit names both a bucket
    size and a leak rate; a pause that every request honours after the remote said ``Retry-After``.
    """

    def __init__(
        self,
        limits: RateLimit,
        *,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        key: str | None = None,
        shared: SharedLimits | None = None,
    ) -> None:
        self.limits = limits
        self._clock = clock
        self._sleep = sleep
        self._key = key
        self._shared = shared if key is not None else None
        # The remote's bucket filling seen since the last shared reservation, passed on with the next.
        self._observed: float | None = None
        self._background: set[asyncio.Task[float]] = set()
        self._semaphore = asyncio.Semaphore(limits.max_concurrency) if limits.max_concurrency else None
        self.bucket = (
            LeakyBucket(limits.bucket_size, limits.leak_per_second, clock)
            if limits.bucket_size and limits.leak_per_second
            else None
        )
        self._paused_until = float("-inf")
        self._users = 0
        # Waiters take turns in arrival order, so a burst is let out at the leak rate and no one starves.
        self._turn = asyncio.Lock()

    def observe_bucket(self, filling: float, capacity: float | None = None) -> None:
        """Take the remote's reported bucket filling (in drops; scaled if its ``capacity`` differs)."""
        if self.bucket is None:
            return
        if capacity and capacity != self.bucket.size:
            filling = filling * self.bucket.size / capacity
        self.bucket.observe(filling)
        if self._shared is not None:
            self._observed = max(self._observed or 0.0, filling)

    def pause(self, seconds: float) -> None:
        """Hold back every request of this connection for ``seconds`` (the remote asked us to)."""
        self._paused_until = max(self._paused_until, self._clock() + seconds)
        if self._shared is not None and self._key is not None:
            # The other processes must hear it now, not after this one's own wait.
            task = asyncio.get_running_loop().create_task(
                self._shared.reserve(
                    self._key, size=None, leak_per_second=None, cost=0, pause_seconds=seconds
                )
            )
            self._background.add(task)
            task.add_done_callback(self._background.discard)

    @property
    def idle(self) -> bool:
        """Nothing in flight, nothing waiting, nothing in the bucket, no pause: safe to forget."""
        return (
            self._users == 0
            and (self.bucket is None or self.bucket.level == 0)
            and self._paused_until <= self._clock()
        )

    @contextlib.asynccontextmanager
    async def slot(
        self, cost: float = 1.0, *, deadline: Callable[[], float] | None = None
    ) -> AsyncIterator[None]:
        """Hold a concurrency slot and wait for the pacer; the request is sent inside the block.

        ``deadline()`` (on the limiter's clock) bounds how long a pause or the pacer may make us
        wait: a longer wait raises :class:`WaitTooLong` at once instead of sleeping.
        """
        self._users += 1
        try:
            async with self._semaphore if self._semaphore is not None else contextlib.nullcontext():
                if self._shared is not None and self._key is not None and self.limits.max_concurrency:
                    async with self._shared.concurrency(self._key, self.limits.max_concurrency):
                        sent = await self._wait_turn(cost, deadline)
                        try:
                            yield
                        finally:
                            await self._answered(cost, sent)
                else:
                    sent = await self._wait_turn(cost, deadline)
                    try:
                        yield
                    finally:
                        await self._answered(cost, sent)
        finally:
            self._users -= 1

    async def _answered(self, cost: float, sent: float) -> None:
        # The block is over: the request's answer is in (or it failed), so it has reached the remote
        # if it ever will. Its drops leak from now on, here and in the shared bucket.
        if self.bucket is None:
            return
        self.bucket.answered(cost)
        if self._shared is not None and self._key is not None:
            await self._shared.settle(
                self._key,
                leak_per_second=self.bucket.leak_per_second,
                cost=cost,
                seconds_in_flight=self._clock() - sent,
            )

    async def _wait_turn(self, cost: float, deadline: Callable[[], float] | None) -> float:
        """Wait until the request may go; returns the moment it was let out (the limiter's clock)."""
        if self._shared is not None and self._key is not None:
            await self._wait_shared_turn(self._shared, self._key, cost, deadline)
            return self._clock()
        if self.bucket is None and self._paused_until <= self._clock():
            return self._clock()
        async with self._turn:
            while True:
                now = self._clock()
                wait = max(self._paused_until - now, self.bucket.wait_for(cost) if self.bucket else 0.0)
                if wait <= _TOLERANCE:
                    break
                if deadline is not None and now + wait > deadline():
                    raise WaitTooLong(wait)
                await self._sleep(wait)
            if self.bucket is not None:
                self.bucket.send(cost)
        return self._clock()

    async def _wait_shared_turn(
        self, shared: SharedLimits, key: str, cost: float, deadline: Callable[[], float] | None
    ) -> None:
        async with self._turn:
            while True:
                now = self._clock()
                wait = self._paused_until - now
                if wait <= _TOLERANCE:
                    observed, self._observed = self._observed, None
                    wait = await shared.reserve(
                        key,
                        size=self.bucket.size if self.bucket else None,
                        leak_per_second=self.bucket.leak_per_second if self.bucket else None,
                        cost=cost,
                        observed=observed,
                    )
                    if wait <= _TOLERANCE:
                        if self.bucket is not None:
                            self.bucket.send(cost)
                        return
                if deadline is not None and now + wait > deadline():
                    raise WaitTooLong(wait)
                await self._sleep(wait)


# One registry per event loop: asyncio primitives cannot be shared across loops, and a process
# normally runs one. Entries outlive their clients so that a new run of the same connection starts
# from the bucket level the last one left; idle entries are dropped when a new one is made.
_REGISTRIES: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, ConnectionLimiter]] = (
    weakref.WeakKeyDictionary()
)


def limiter_for(
    limit_key: str, limits: RateLimit, *, clock: Clock = time.monotonic, sleep: Sleep = asyncio.sleep
) -> ConnectionLimiter:
    """The limiter shared by every client of ``limit_key`` in the running event loop.

    The first caller's ``limits``, ``clock`` and ``sleep`` make it; later callers get the same
    object whatever they pass, except that changed ``limits`` (the connector's spec changed) replace
    an idle limiter.
    """
    loop = asyncio.get_running_loop()
    registry = _REGISTRIES.setdefault(loop, {})
    limiter = registry.get(limit_key)
    if limiter is not None and (limiter.limits == limits or not limiter.idle):
        return limiter
    for key in [k for k, v in registry.items() if v.idle]:
        del registry[key]
    limiter = ConnectionLimiter(limits, clock=clock, sleep=sleep, key=limit_key, shared=_SHARED.get(loop))
    registry[limit_key] = limiter
    return limiter
