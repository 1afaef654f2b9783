"""The redaction processor: sensitive keys at any depth, secrets inside strings, no mutation."""

from __future__ import annotations

import copy
import datetime as dt
import uuid

import pytest

from spojka.system.redaction import REDACTED, is_sensitive_key, redact_sensitive, redact_value, scrub_text


def process(event: dict[str, object]) -> dict[str, object]:
    return redact_sensitive(None, "info", event)


@pytest.mark.parametrize(
    "key",
    [
        "password",
        "Password",
        "db_password",
        "passwd",
        "secret",
        "client_secret",
        "clientSecret",
        "token",
        "access_token",
        "refreshToken",
        "api_key",
        "api-key",
        "ApiKey",
        "X-Api-Key",
        "apikey",
        "authorization",
        "Authorization",
        "proxy-authorization",
        "cookie",
        "Cookie",
        "set-cookie",
        "Set-Cookie",
        "csrf",
        "X-CSRFToken",
        "csrftoken",
        "credential",
        "credentials",
        "private_key",
        "master_keys",
        "MASTER-KEYS",
        "masterKeys",
        "session",
        "session_id",
        "sessionId",
    ],
)
def test_sensitive_keys(key: str) -> None:
    assert is_sensitive_key(key)


@pytest.mark.parametrize(
    "key",
    ["event", "key", "connector_key", "idempotency_key", "status", "tenant_id", "user_id", "path", "email"],
)
def test_ordinary_keys(key: str) -> None:
    assert not is_sensitive_key(key)


def test_top_level_values_are_replaced() -> None:
    out = process({"event": "login", "password": "hunter2", "Authorization": "Bearer abc", "user": "ann"})
    assert out == {"event": "login", "password": REDACTED, "Authorization": REDACTED, "user": "ann"}


def test_nested_dicts_and_lists() -> None:
    event = {
        "event": "sync",
        "connection": {
            "name": "shop",
            "settings": {"url": "https://shop.example", "credentials": {"apiToken": "t0k"}},
            "headers": [{"X-Api-Key": "k1"}, {"accept": "json"}],
        },
        "batches": [[{"client_secret": "s1", "n": 1}], ({"session": "s2"},)],
        "master_keys": ["id1:AAAA", "id2:BBBB"],
    }
    out = process(event)
    assert out["connection"] == {
        "name": "shop",
        "settings": {"url": "https://shop.example", "credentials": REDACTED},
        "headers": [{"X-Api-Key": REDACTED}, {"accept": "json"}],
    }
    assert out["batches"] == [[{"client_secret": REDACTED, "n": 1}], [{"session": REDACTED}]]
    assert out["master_keys"] == REDACTED


def test_input_is_not_modified() -> None:
    event = {"event": "x", "outer": {"password": "pw", "items": [{"token": "t"}]}}
    before = copy.deepcopy(event)
    process(event)
    assert event == before


def test_absent_and_boolean_values_stay() -> None:
    out = process({"event": "x", "password": None, "has_token": True, "secret": ""})
    assert out == {"event": "x", "password": None, "has_token": True, "secret": REDACTED}


def test_non_string_dict_keys() -> None:
    assert redact_value({1: "one", "token": 2}) == {1: "one", "token": REDACTED}


@pytest.mark.parametrize(
    ("text", "leaked"),
    [
        ("GET /api/orders?page=2&password=hunter2&x=1", "hunter2"),
        ("https://shop.example/cb?access_token=abc.def-123&state=ok", "abc.def-123"),
        ("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig", "eyJhbGciOiJIUzI1NiJ9"),
        ("authorization=Basic dXNlcjpwYXNz", "dXNlcjpwYXNz"),
        ("sent header Bearer abcdef123456 to remote", "abcdef123456"),
        ("using Basic dXNlcjpwYXNz", "dXNlcjpwYXNz"),
        ('{"password": "hunter2", "user": "ann"}', "hunter2"),
        ("{'api_key': 'k-123', 'n': 1}", "k-123"),
        ("Cookie: session=abc; csrftoken=def", "def"),
        ("postgresql+asyncpg://spojka:s3cret@db:5432/spojka", "s3cret"),
        ("redis://:r3dis-pw@cache:6379/0", "r3dis-pw"),
        ("client_secret=cs-999 grant_type=client_credentials", "cs-999"),
    ],
)
def test_secrets_inside_strings(text: str, leaked: str) -> None:
    scrubbed = scrub_text(text)
    assert leaked not in scrubbed
    assert REDACTED in scrubbed


def test_scrubbing_keeps_the_rest_readable() -> None:
    assert scrub_text("GET /orders?page=2&token=abc&sort=id") == "GET /orders?page=2&token=[redacted]&sort=id"
    assert scrub_text("Authorization: Bearer abc") == "Authorization: [redacted]"
    assert scrub_text("postgresql://u:p@h/db") == "postgresql://u:[redacted]@h/db"
    assert scrub_text('{"password": "x", "user": "ann"}') == '{"password": "[redacted]", "user": "ann"}'


@pytest.mark.parametrize(
    "text",
    [
        "order 1234 synced",
        "password is wrong",
        "a basic check failed",
        "session expired",
        "https://a.example/x",
    ],
)
def test_ordinary_text_untouched(text: str) -> None:
    assert scrub_text(text) == text


def test_strings_nested_anywhere_are_scrubbed() -> None:
    out = process({"event": "call https://x.example/?token=abc", "calls": [{"url": "https://u:pw@x/"}]})
    assert out == {
        "event": f"call https://x.example/?token={REDACTED}",
        "calls": [{"url": f"https://u:{REDACTED}@x/"}],
    }


def test_other_objects_become_safe_text() -> None:
    class Conn:
        def __repr__(self) -> str:
            return "Conn(password='pw')"

        __str__ = __repr__

    ident = uuid.UUID(int=1)
    when = dt.datetime(2025, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    assert redact_value([ident, when, Conn(), b"token=abc"]) == [
        str(ident),
        "2025-01-02T03:04:05+00:00",
        f"Conn(password='{REDACTED}')",
        f"token={REDACTED}",
    ]


def test_deep_and_cyclic_structures_terminate() -> None:
    cyclic: dict[str, object] = {"a": 1}
    cyclic["self"] = cyclic
    out = redact_value(cyclic)
    depth = 0
    node: object = out
    while isinstance(node, dict):
        node = node["self"]
        depth += 1
    assert node == "[too deep]"
    assert depth < 20
