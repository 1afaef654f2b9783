"""The connector HTTP client against a real local HTTP server (uvicorn): limits, retries, 401, logs."""

from __future__ import annotations

import asyncio
import itertools
import logging
import socket
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.utils import formatdate, parsedate_to_datetime
from typing import Any

import httpx
import pytest
import uvicorn

from spojka.connector import AuthExpiredError, RateLimit, RetriableError
from spojka.connector.http import ConnectionLimiter, ConnectorHttpClient, RetryPolicy

# Retries in these tests wait milliseconds, not seconds, unless the server names the wait.
FAST = RetryPolicy(attempts=4, budget=10.0, backoff_base=0.01, backoff_cap=0.05, retry_after_jitter=0.0)
_keys = itertools.count()


def new_key() -> str:
    """A limit key of its own for each test, so the process-wide limiters do not leak between tests."""
    return f"test-connection-{next(_keys)}"


# --- the remote ------------------------------------------------------------------------------------


@dataclass
class Reply:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    body: bytes = b'{"data": {}}'


@dataclass
class Drop:
    """Close the socket without answering."""


Action = Reply | Drop | Callable[[], Reply]


@dataclass
class Hit:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    at: float  # monotonic
    wall: float  # time.time()


@dataclass
class ServerBucket:
    """The remote's leaky bucket, fed with the moments the client sent each request."""

    leak_per_second: float
    sent: list[float] = field(default_factory=list)

    @property
    def highest(self) -> float:
        level, at, highest = 0.0, 0.0, 0.0
        for now in sorted(self.sent):
            level = max(0.0, level - (now - at) * self.leak_per_second) + 1
            at = now
            highest = max(highest, level)
        return highest


class StampingTransport(httpx.AsyncHTTPTransport):
    """A real transport that writes on each request the moment it leaves (``X-Sent-At``).

    The server's own arrival times would bunch whenever its thread is starved of CPU, which says
    nothing about how the client paced its requests.
    """

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        request.headers["X-Sent-At"] = repr(time.monotonic())
        return await super().handle_async_request(request)


class Remote:
    """An ASGI app whose answers each test scripts per path.

    ``/slow/<name>`` answers after 100 ms and counts requests in flight; ``/auth/<name>`` wants
    ``Authorization: Bearer fresh``; ``/bucket/<name>`` pours into a :class:`ServerBucket`; any other
    path plays its script (one action per request, the last one repeating; 200 without one).
    """

    def __init__(self) -> None:
        self.scripts: dict[str, list[Action]] = {}
        self.hits: dict[str, list[Hit]] = {}
        self.buckets: dict[str, ServerBucket] = {}
        self.in_flight = 0
        self.max_in_flight = 0

    def script(self, path: str, *actions: Action) -> str:
        self.scripts[path] = list(actions)
        self.hits[path] = []
        return path

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        path = scope["path"]
        hit = Hit(
            scope["method"],
            path,
            scope["query_string"].decode(),
            {k.decode().lower(): v.decode() for k, v in scope["headers"]},
            time.monotonic(),
            time.time(),
        )
        self.hits.setdefault(path, []).append(hit)
        if path.startswith("/slow/"):
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            try:
                await asyncio.sleep(0.1)
            finally:
                self.in_flight -= 1
            action: Action = Reply()
        elif path.startswith("/auth/"):
            action = Reply() if hit.headers.get("authorization") == "Bearer fresh" else Reply(401)
        elif path.startswith("/bucket/"):
            self.buckets[path].sent.append(float(hit.headers["x-sent-at"]))
            action = Reply()
        else:
            script = self.scripts.get(path) or [Reply()]
            action = script.pop(0) if len(script) > 1 else script[0]
        if callable(action):
            action = action()
        if isinstance(action, Drop):
            # uvicorn's request cycle owns the socket; closing it is what a crashing proxy does.
            receive.__self__.transport.close()
            while (await receive())["type"] != "http.disconnect":
                pass
            return
        if action.delay:
            await asyncio.sleep(action.delay)
        headers = [(k.lower().encode(), v.encode()) for k, v in action.headers.items()]
        headers.append((b"content-type", b"application/json"))
        await send({"type": "http.response.start", "status": action.status, "headers": headers})
        await send({"type": "http.response.body", "body": action.body})


@contextmanager
def serving(app: Remote) -> Iterator[str]:
    """Run the app with uvicorn on a free loopback port in a background thread."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    # h11 on purpose: the Drop action relies on its request cycle holding the transport.
    server = uvicorn.Server(uvicorn.Config(app, http="h11", lifespan="off", log_level="critical"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive(), "the test server stopped while starting"
        assert time.monotonic() < deadline, "the test server did not start in time"
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


@pytest.fixture(scope="module")
def remote() -> Remote:
    return Remote()


@pytest.fixture(scope="module")
def base_url(remote: Remote) -> Iterator[str]:
    with serving(remote) as url:
        yield url


class RecordingSleep:
    """Really sleeps, and remembers for how long it was asked to."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
        await asyncio.sleep(seconds)


def client(base_url: str, **kwargs: Any) -> ConnectorHttpClient:
    options: dict[str, Any] = {"base_url": base_url, "name": "Shoptet", "retry": FAST}
    options.update(kwargs)
    return ConnectorHttpClient(**options)


# --- limits ----------------------------------------------------------------------------------------


async def test_concurrency_never_exceeds_the_limit_across_clients_of_one_connection(
    remote: Remote, base_url: str
) -> None:
    remote.max_in_flight = 0
    key = new_key()
    limits = RateLimit(max_concurrency=3)
    async with (
        client(base_url, limits=limits, limit_key=key) as a,
        client(base_url, limits=limits, limit_key=key) as b,
    ):
        assert a.limiter is b.limiter
        responses = await asyncio.gather(*(http.get(f"/slow/c{i}") for i in range(6) for http in (a, b)))
    assert [r.status_code for r in responses] == [200] * 12
    assert remote.max_in_flight == 3


async def test_a_different_connection_has_its_own_limit(remote: Remote, base_url: str) -> None:
    remote.max_in_flight = 0
    limits = RateLimit(max_concurrency=1)
    async with (
        client(base_url, limits=limits, limit_key=new_key()) as a,
        client(base_url, limits=limits, limit_key=new_key()) as b,
    ):
        assert a.limiter is not b.limiter
        await asyncio.gather(a.get("/slow/own-a"), b.get("/slow/own-b"))
    assert remote.max_in_flight == 2


async def test_the_pacer_keeps_a_burst_within_the_bucket(remote: Remote, base_url: str) -> None:
    path = "/bucket/burst"
    remote.buckets[path] = ServerBucket(leak_per_second=20)
    limits = RateLimit(bucket_size=5, leak_per_second=20)
    started = time.monotonic()
    async with client(base_url, limits=limits, limit_key=new_key(), transport=StampingTransport()) as http:
        responses = await asyncio.gather(*(http.get(path) for _ in range(15)))
    elapsed = time.monotonic() - started
    assert all(r.status_code == 200 for r in responses)
    # 5 at once, then one per 50 ms: the 10 extra take 0.5 s. Without the pacer the bucket would
    # hold 15; the margin covers a request held up between the pacer and the socket by a busy CPU.
    assert remote.buckets[path].highest <= 6
    assert elapsed >= 0.45


async def test_the_server_reported_filling_slows_us_down(remote: Remote, base_url: str) -> None:
    path = remote.script("/filling/full", Reply(headers={"X-RateLimit-Bucket-Filling": "200/200"}))
    limits = RateLimit(bucket_size=10, leak_per_second=10)

    unaware = RecordingSleep()
    async with client(base_url, limits=limits, limit_key=new_key(), sleep=unaware) as http:
        for _ in range(4):
            await http.get(path)
    assert unaware.calls == []

    aware = RecordingSleep()
    async with client(
        base_url,
        limits=limits,
        limit_key=new_key(),
        sleep=aware,
        bucket_header="X-RateLimit-Bucket-Filling",
    ) as http:
        for _ in range(4):
            await http.get(path)
        # "200/200" scaled to our 10-drop bucket: full.
        assert http.limiter.bucket is not None
        assert http.limiter.bucket.level > 9
    # Each request after the first waits for one drop to leak: 1/10 s, less what the answer took.
    assert len(aware.calls) == 3
    assert all(0 < s <= 0.1 for s in aware.calls)


async def test_a_response_hook_can_feed_any_header_to_the_pacer(remote: Remote, base_url: str) -> None:
    path = remote.script("/filling/custom", Reply(headers={"X-Calls-Left": "0"}))
    limits = RateLimit(bucket_size=10, leak_per_second=10)

    def calls_left(response: httpx.Response, limiter: ConnectionLimiter) -> None:
        left = response.headers.get("X-Calls-Left")
        if left is not None:
            limiter.observe_bucket(10 - int(left))

    sleep = RecordingSleep()
    async with client(
        base_url, limits=limits, limit_key=new_key(), sleep=sleep, on_response=calls_left
    ) as http:
        await http.get(path)
        await http.get(path)
    assert len(sleep.calls) == 1


# --- retries ---------------------------------------------------------------------------------------


async def test_429_with_retry_after_seconds_is_honoured(remote: Remote, base_url: str) -> None:
    path = remote.script("/r/429-seconds", Reply(429, {"Retry-After": "1"}), Reply())
    async with client(base_url) as http:
        response = await http.get(path)
    assert response.status_code == 200
    first, second = remote.hits[path]
    assert second.at - first.at >= 1.0


async def test_429_with_retry_after_as_an_http_date_is_honoured(remote: Remote, base_url: str) -> None:
    retry_at: list[float] = []

    def rate_limited() -> Reply:
        when = formatdate(time.time() + 2, usegmt=True)
        retry_at.append(parsedate_to_datetime(when).timestamp())
        return Reply(429, {"Retry-After": when})

    path = remote.script("/r/429-date", rate_limited, Reply())
    async with client(base_url) as http:
        response = await http.post(path, json={"data": {}})  # 429 means "not done": any method goes again
    assert response.status_code == 200
    first, second = remote.hits[path]
    assert second.wall >= retry_at[0]
    assert second.at - first.at < 4


async def test_503_is_retried_until_it_answers(remote: Remote, base_url: str) -> None:
    path = remote.script("/r/503", Reply(503), Reply(503), Reply(200))
    async with client(base_url) as http:
        response = await http.get(path)
    assert response.status_code == 200
    assert len(remote.hits[path]) == 3


async def test_423_locked_is_retried_even_for_a_write(remote: Remote, base_url: str) -> None:
    path = remote.script("/r/423", Reply(423), Reply(200))
    async with client(base_url) as http:
        response = await http.patch(path, json={"data": {"trackingNumber": "DR1"}})
    assert response.status_code == 200
    assert len(remote.hits[path]) == 2


async def test_a_gateway_timeout_on_a_write_is_not_repeated(remote: Remote, base_url: str) -> None:
    path = remote.script("/r/504-post", Reply(504), Reply(200))
    async with client(base_url) as http:
        with pytest.raises(RetriableError, match="may already have been carried out"):
            await http.post(path, json={})
    assert len(remote.hits[path]) == 1


async def test_other_client_errors_are_returned_to_the_connector(remote: Remote, base_url: str) -> None:
    path = remote.script("/r/422", Reply(422, body=b'{"errors": [{"errorCode": "invalid-request-data"}]}'))
    async with client(base_url) as http:
        response = await http.post(path, json={})
    assert response.status_code == 422
    assert response.json()["errors"][0]["errorCode"] == "invalid-request-data"
    assert len(remote.hits[path]) == 1


async def test_a_dropped_connection_is_retried_for_get(remote: Remote, base_url: str) -> None:
    path = remote.script("/r/drop-get", Drop(), Reply())
    async with client(base_url) as http:
        response = await http.get(path)
    assert response.status_code == 200
    assert len(remote.hits[path]) == 2


async def test_a_dropped_connection_is_not_retried_for_post(remote: Remote, base_url: str) -> None:
    path = remote.script("/r/drop-post", Drop(), Reply())
    async with client(base_url) as http:
        with pytest.raises(RetriableError) as caught:
            await http.post(path, json={"data": {}})
    assert caught.value.message == (
        "Shoptet closed the connection without answering; the request was not sent again "
        "because it may already have been carried out"
    )
    assert len(remote.hits[path]) == 1


async def test_a_dropped_connection_is_retried_for_post_marked_retry_unsafe(
    remote: Remote, base_url: str
) -> None:
    path = remote.script("/r/drop-post-key", Drop(), Reply())
    async with client(base_url) as http:
        response = await http.post(
            path, json={"data": {}}, retry_unsafe=True, headers={"Idempotency-Key": "k1"}
        )
    assert response.status_code == 200
    assert len(remote.hits[path]) == 2


async def test_a_refused_connection_is_retried_whatever_the_method() -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))  # bound, not listening: connecting is refused
    try:
        async with client(f"http://127.0.0.1:{sock.getsockname()[1]}") as http:
            with pytest.raises(RetriableError) as caught:
                await http.post("/api/orders", json={})
    finally:
        sock.close()
    assert (
        caught.value.message == "Shoptet could not be reached (the connection was refused) after 4 attempts"
    )


async def test_timeouts_run_out_in_plain_words(remote: Remote, base_url: str) -> None:
    path = remote.script("/r/slow", Reply(delay=0.3))
    async with client(base_url, timeout=httpx.Timeout(1.0, read=0.05)) as http:
        with pytest.raises(RetriableError) as caught:
            await http.get(path, params={"page": 1})
    assert caught.value.message == "Shoptet did not answer (timeout) after 4 attempts"
    assert caught.value.details == {
        "method": "GET",
        "url": f"{base_url}{path}?page=…",
        "attempts": 4,
        "error": "ReadTimeout",
    }
    assert len(remote.hits[path]) == 4


async def test_a_retry_after_beyond_the_budget_raises_at_once(remote: Remote, base_url: str) -> None:
    path = remote.script("/r/429-long", Reply(429, {"Retry-After": "120"}), Reply())
    key = new_key()
    started = time.monotonic()
    async with client(base_url, limit_key=key) as http:
        with pytest.raises(RetriableError) as caught:
            await http.get(path)
        assert caught.value.retry_after == 120
        assert (
            caught.value.message == "Shoptet is limiting our requests (HTTP 429) and asked us to wait 120 s"
        )
        # The rest of the connection holds back too, without asking the remote again.
        with pytest.raises(RetriableError, match="slow down") as sibling:
            await http.get(path)
        assert sibling.value.retry_after is not None
        assert 119 < sibling.value.retry_after <= 120
    assert time.monotonic() - started < 1
    assert len(remote.hits[path]) == 1


async def test_a_backoff_beyond_the_budget_raises_with_retry_after(remote: Remote, base_url: str) -> None:
    path = remote.script("/r/503-budget", Reply(503))
    policy = RetryPolicy(attempts=10, budget=0.5, backoff_base=2.0, random=lambda: 1.0)
    sleep = RecordingSleep()
    async with client(base_url, retry=policy, sleep=sleep) as http:
        with pytest.raises(RetriableError) as caught:
            await http.get(path)
    assert caught.value.retry_after == 2.0
    assert caught.value.message == "Shoptet is unavailable (HTTP 503) after 1 attempt"
    assert sleep.calls == []
    assert len(remote.hits[path]) == 1


async def test_the_budget_bounds_the_total_time_with_an_injected_clock(remote: Remote, base_url: str) -> None:
    path = remote.script("/r/503-clock", Reply(503))
    now = [0.0]
    slept: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    policy = RetryPolicy(attempts=100, budget=10.0, backoff_base=1.0, backoff_cap=4.0, random=lambda: 1.0)
    async with client(base_url, retry=policy, clock=lambda: now[0], sleep=fake_sleep) as http:
        with pytest.raises(RetriableError) as caught:
            await http.get(path)
    # 1 + 2 + 4 = 7 s slept; the next 4 s would end past the 10 s budget.
    assert slept == [1.0, 2.0, 4.0]
    assert caught.value.retry_after == 4.0
    assert len(remote.hits[path]) == 4


# --- 401 -------------------------------------------------------------------------------------------


async def test_401_is_auth_expired(remote: Remote, base_url: str) -> None:
    async with client(base_url, headers={"Authorization": "Bearer stale"}) as http:
        with pytest.raises(AuthExpiredError) as caught:
            await http.get("/auth/plain")
    assert "HTTP 401" in caught.value.message
    assert len(remote.hits["/auth/plain"]) == 1


def renewing(
    http_ref: list[ConnectorHttpClient], token: str, calls: list[int]
) -> Callable[[], Awaitable[bool]]:
    async def on_unauthorized() -> bool:
        calls.append(1)
        await asyncio.sleep(0.01)  # a token endpoint takes a while
        http_ref[0].headers["Authorization"] = f"Bearer {token}"
        return True

    return on_unauthorized


async def test_a_renewed_token_is_used_on_the_second_try(remote: Remote, base_url: str) -> None:
    calls: list[int] = []
    ref: list[ConnectorHttpClient] = []
    http = client(
        base_url, headers={"Authorization": "Bearer stale"}, on_unauthorized=renewing(ref, "fresh", calls)
    )
    ref.append(http)
    async with http:
        response = await http.get("/auth/renew")
    assert response.status_code == 200
    assert [h.headers["authorization"] for h in remote.hits["/auth/renew"]] == [
        "Bearer stale",
        "Bearer fresh",
    ]
    assert calls == [1]


async def test_a_renewal_that_does_not_help_is_not_tried_a_third_time(remote: Remote, base_url: str) -> None:
    calls: list[int] = []
    ref: list[ConnectorHttpClient] = []
    http = client(
        base_url, headers={"Authorization": "Bearer stale"}, on_unauthorized=renewing(ref, "wrong", calls)
    )
    ref.append(http)
    async with http:
        with pytest.raises(AuthExpiredError):
            await http.get("/auth/still-bad")
    assert len(remote.hits["/auth/still-bad"]) == 2
    assert calls == [1]


async def test_concurrent_401s_renew_once(remote: Remote, base_url: str) -> None:
    calls: list[int] = []
    ref: list[ConnectorHttpClient] = []
    http = client(
        base_url, headers={"Authorization": "Bearer stale"}, on_unauthorized=renewing(ref, "fresh", calls)
    )
    ref.append(http)
    async with http:
        responses = await asyncio.gather(*(http.get("/auth/concurrent") for _ in range(3)))
    assert [r.status_code for r in responses] == [200, 200, 200]
    assert calls == [1]


# --- logs ------------------------------------------------------------------------------------------


async def test_secrets_never_reach_the_logs(
    remote: Remote, base_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="httpx")
    path = remote.script("/r/logged", Reply(503), Reply(200))
    secrets = ["tok-SECRET-1", "Bearer-SECRET-2", "cookie-SECRET-3", "query-SECRET-4", "pwd-SECRET-5"]
    async with client(
        f"http://user:{secrets[4]}@{base_url.removeprefix('http://')}",
        headers={"Shoptet-Private-API-Token": secrets[0], "Authorization": f"Bearer {secrets[1]}"},
        secret_headers=["X-Custom"],
    ) as http:
        await http.get(path, params={"access_token": secrets[3], "page": 2}, headers={"Cookie": secrets[2]})
        with pytest.raises(AuthExpiredError) as caught:
            await http.get("/auth/logged", params={"apiKey": secrets[3]})
    text = caplog.text + repr(caught.value.details) + caught.value.message
    for secret in secrets:
        assert secret not in text
    ours = [r for r in caplog.records if r.name == "spojka.connector.http"]
    assert len(ours) == 3  # one line per attempt
    assert "Shoptet: GET" in ours[0].getMessage()
    assert "/r/logged?access_token=…&page=…" in ours[0].getMessage()
    assert "-> 503" in ours[0].getMessage()
    assert "-> 200" in ours[1].getMessage()
    assert any(r.name == "httpx" for r in caplog.records), "httpx's own line was checked too"
