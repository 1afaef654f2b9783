"""The connector HTTP client's parts on their own: redaction, Retry-After, the bucket, the limiter."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from spojka.connector import ConfigError, RateLimit
from spojka.connector.http import (
    REDACTED,
    ConnectionLimiter,
    ConnectorHttpClient,
    LeakyBucket,
    RetryPolicy,
    is_secret_name,
    limiter_for,
    parse_bucket_filling,
    parse_retry_after,
    redact_headers,
    redact_url,
)
from spojka.connector.http.limits import WaitTooLong
from spojka.connector.http.retry import retry_after_seconds


class FakeTime:
    """A monotonic clock that only moves when someone sleeps."""

    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 6))
        self.now += seconds


# --- redaction -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "Authorization",
        "Proxy-Authorization",
        "STW-Authorization",
        "Cookie",
        "Set-Cookie",
        "Shoptet-Private-API-Token",
        "X-Shopify-Access-Token",
        "X-Api-Key",
        "apiKey",
        "access_token",
        "client_secret",
        "password",
    ],
)
def test_secret_names(name: str) -> None:
    assert is_secret_name(name)


@pytest.mark.parametrize(
    "name", ["Content-Type", "Accept", "User-Agent", "page", "itemsPerPage", "X-Request-ID"]
)
def test_ordinary_names(name: str) -> None:
    assert not is_secret_name(name)


def test_extra_secret_names_are_exact_and_case_insensitive() -> None:
    assert is_secret_name("X-Shop-Sig", ["x-shop-sig"])
    assert not is_secret_name("X-Shop", ["x-shop-sig"])


def test_redact_headers() -> None:
    headers = httpx.Headers(
        {"Authorization": "Bearer abc", "Accept": "application/json", "X-Custom": "s3cret"}
    )
    assert redact_headers(headers, ["X-Custom"]) == {
        "authorization": REDACTED,
        "accept": "application/json",
        "x-custom": REDACTED,
    }


def test_redact_url_hides_secret_query_values_and_passwords() -> None:
    url = "https://user:pw@shop.example.cz:8443/api/orders?page=2&access_token=abc&apiKey=def&q=a%20b#frag"
    assert redact_url(url) == (
        f"https://user:{REDACTED}@shop.example.cz:8443/api/orders?page=2&access_token={REDACTED}"
        f"&apiKey={REDACTED}&q=a%20b"
    )


def test_redact_url_can_drop_every_query_value() -> None:
    url = httpx.URL("https://shop.example.cz/api/orders", params={"page": 2, "email": "jan@example.cz"})
    assert redact_url(url, keep_query_values=False) == "https://shop.example.cz/api/orders?page=…&email=…"


def test_redact_url_leaves_a_plain_url_alone() -> None:
    assert redact_url("http://[::1]:8080/xml") == "http://[::1]:8080/xml"


# --- Retry-After -----------------------------------------------------------------------------------

NOW = datetime(2024, 7, 1, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("120", 120.0),
        (" 7 ", 7.0),
        ("0", 0.0),
        ("1.5", 1.5),
        ("-3", 0.0),
        ("Mon, 01 Jul 2024 12:01:11 GMT", 71.0),
        ("Mon, 01 Jul 2024 12:00:05 -0000", 5.0),
        ("Mon, 01 Jul 2024 11:59:00 GMT", 0.0),
        ("soon", None),
        ("nan", None),
        ("inf", None),
        ("", None),
    ],
)
def test_parse_retry_after(value: str, seconds: float | None) -> None:
    assert parse_retry_after(value, now=NOW) == seconds


def test_a_retry_after_date_is_measured_from_the_response_date() -> None:
    headers = httpx.Headers(
        {"Retry-After": "Mon, 01 Jul 2024 12:01:11 GMT", "Date": "Mon, 01 Jul 2024 12:01:01 GMT"}
    )
    # Our clock is an hour behind the remote's: its own Date says the wait is 10 s.
    assert retry_after_seconds(headers, lambda: NOW - timedelta(hours=1)) == 10.0
    del headers["Date"]
    assert retry_after_seconds(headers, lambda: NOW) == 71.0


def test_backoff_is_capped_exponential_with_full_jitter() -> None:
    top = RetryPolicy(backoff_base=1.0, backoff_cap=30.0, random=lambda: 1.0)
    assert [top.backoff(n) for n in range(1, 8)] == [1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0]
    bottom = RetryPolicy(random=lambda: 0.0)
    assert bottom.backoff(5) == 0.0
    assert RetryPolicy(retry_after_jitter=0.5, random=lambda: 1.0).honouring(7.0) == 7.5


def test_a_policy_needs_at_least_one_attempt() -> None:
    with pytest.raises(ValueError, match="attempts"):
        RetryPolicy(attempts=0)


# --- the bucket and the limiter --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "parsed"),
    [
        ("123/200", (123.0, 200.0)),
        (" 12.5 / 40 ", (12.5, 40.0)),
        ("7", (7.0, None)),
        ("full", None),
        ("", None),
    ],
)
def test_parse_bucket_filling(value: str, parsed: tuple[float, float | None] | None) -> None:
    assert parse_bucket_filling(value) == parsed


def test_the_bucket_leaks() -> None:
    t = FakeTime()
    bucket = LeakyBucket(10, 2.0, t.clock)
    for _ in range(10):
        bucket.pour(1)
    assert bucket.wait_for(1) == 0.5
    t.now += 1.0
    assert bucket.level == 8.0
    assert bucket.wait_for(1) == 0.0
    bucket.observe(5.0)  # lower than ours: ours stands
    assert bucket.level == 8.0
    bucket.observe(9.5)
    assert bucket.level == 9.5
    assert bucket.wait_for(50) == 4.75  # more than the whole bucket waits for an empty one, not forever


async def test_the_limiter_lets_a_burst_out_at_the_leak_rate() -> None:
    t = FakeTime()
    limiter = ConnectionLimiter(RateLimit(bucket_size=5, leak_per_second=10), clock=t.clock, sleep=t.sleep)
    for _ in range(8):
        async with limiter.slot():
            pass
    assert t.sleeps == [0.1, 0.1, 0.1]


async def test_the_limiter_scales_a_reported_filling_to_its_own_bucket() -> None:
    t = FakeTime()
    limiter = ConnectionLimiter(RateLimit(bucket_size=10, leak_per_second=10), clock=t.clock, sleep=t.sleep)
    limiter.observe_bucket(150, 200)
    assert limiter.bucket is not None
    assert limiter.bucket.level == 7.5


async def test_a_pause_holds_every_request_and_respects_deadlines() -> None:
    t = FakeTime()
    limiter = ConnectionLimiter(RateLimit(), clock=t.clock, sleep=t.sleep)
    limiter.pause(30)
    with pytest.raises(WaitTooLong) as caught:
        async with limiter.slot(deadline=lambda: t.now + 10):
            pass
    assert caught.value.wait == 30
    assert t.sleeps == []
    async with limiter.slot(deadline=lambda: t.now + 60):
        pass
    assert t.sleeps == [30.0]


async def test_limiters_are_shared_by_key() -> None:
    limits = RateLimit(max_concurrency=1)
    first = limiter_for("conn-shared-a", limits)
    assert limiter_for("conn-shared-a", limits) is first
    assert limiter_for("conn-shared-b", limits) is not first
    # The connector's limits changed (a new release): an idle limiter is made again.
    changed = limiter_for("conn-shared-a", RateLimit(max_concurrency=2))
    assert changed is not first
    assert changed.limits.max_concurrency == 2


def test_each_event_loop_has_its_own_limiters() -> None:
    async def get() -> ConnectionLimiter:
        limiter = limiter_for("conn-per-loop", RateLimit(max_concurrency=1))
        async with limiter.slot():
            pass
        return limiter

    assert asyncio.run(get()) is not asyncio.run(get())


async def test_an_address_that_is_not_http_is_a_config_error() -> None:
    async with ConnectorHttpClient(base_url="ftp://shop.example.cz", name="Shoptet") as http:
        with pytest.raises(ConfigError, match="must start with http"):
            await http.get("/api/eshop")
