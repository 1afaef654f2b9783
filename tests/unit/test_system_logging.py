"""configure_logging: one handler, JSON or console, UTC timestamps, context merged, secrets scrubbed."""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
from collections.abc import Iterator

import pytest
import structlog

from spojka.settings import Settings
from spojka.system.context import request_context
from spojka.system.logging import LitestarLoggingConfig, configure_logging, parse_log_level

_TOUCHED_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access", "litestar", "sqlalchemy", "httpx")


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    root_state = (list(root.handlers), root.level)
    loggers = {
        name: (list(lg.handlers), lg.propagate, lg.disabled, lg.level)
        for name in _TOUCHED_LOGGERS
        for lg in [logging.getLogger(name)]
    }
    yield
    structlog.reset_defaults()
    structlog.contextvars.clear_contextvars()
    logging.captureWarnings(False)
    root.handlers[:] = root_state[0]
    root.setLevel(root_state[1])
    for name, (handlers, propagate, disabled, level) in loggers.items():
        lg = logging.getLogger(name)
        lg.handlers[:] = handlers
        lg.propagate, lg.disabled = propagate, disabled
        lg.setLevel(level)


def json_logging(level: str = "DEBUG") -> io.StringIO:
    stream = io.StringIO()
    configure_logging(Settings(log_format="json", log_level=level), stream=stream)
    return stream


def lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def test_structlog_lines_are_json_with_utc_iso_timestamps() -> None:
    stream = json_logging()
    structlog.get_logger("spojka.test").info("hello", count=3)
    [line] = lines(stream)
    assert line["event"] == "hello"
    assert line["count"] == 3
    assert line["level"] == "info"
    assert line["logger"] == "spojka.test"
    stamp = str(line["timestamp"])
    assert stamp.endswith("Z")
    parsed = dt.datetime.fromisoformat(stamp)
    assert parsed.utcoffset() == dt.timedelta(0)
    assert abs((dt.datetime.now(dt.UTC) - parsed).total_seconds()) < 60


def test_production_defaults_to_json() -> None:
    stream = io.StringIO()
    configure_logging(Settings(env="production"), stream=stream)
    structlog.get_logger().warning("prod")
    assert lines(stream)[0]["event"] == "prod"


def test_console_format_is_readable_and_uncoloured_off_a_tty() -> None:
    stream = io.StringIO()
    configure_logging(Settings(log_format="console"), stream=stream)
    structlog.get_logger("spojka.test").info("hello", password="hunter2", n=1)
    text = stream.getvalue()
    assert "hello" in text
    assert "n=1" in text
    assert "hunter2" not in text
    assert "[redacted]" in text
    assert "\x1b[" not in text


def test_stdlib_records_go_through_the_same_pipeline() -> None:
    stream = json_logging()
    logging.getLogger("some.library").warning(
        "connecting to %s", "postgresql://app:s3cret@db/x", extra={"api_key": "k-1"}
    )
    [line] = lines(stream)
    assert line["logger"] == "some.library"
    assert line["level"] == "warning"
    assert line["event"] == "connecting to postgresql://app:[redacted]@db/x"
    assert line["api_key"] == "[redacted]"
    assert "s3cret" not in stream.getvalue()


def test_level_filters_both_kinds_of_logger() -> None:
    stream = json_logging("WARNING")
    structlog.get_logger().info("quiet")
    logging.getLogger("lib").info("quiet too")
    structlog.get_logger().warning("loud")
    assert [line["event"] for line in lines(stream)] == ["loud"]


def test_context_is_merged_and_restored() -> None:
    stream = json_logging()
    state: dict[str, object] = {}
    with request_context("req-1", state):
        structlog.get_logger().info("before auth")
        state["tenant_id"] = "tenant-7"
        state["user_id"] = "user-9"
        structlog.contextvars.bind_contextvars(extra_thing="x")
        logging.getLogger("lib").info("after auth")
    structlog.get_logger().info("outside")
    first, second, third = lines(stream)
    assert first["request_id"] == "req-1"
    assert "tenant_id" not in first
    assert (second["request_id"], second["tenant_id"], second["user_id"]) == ("req-1", "tenant-7", "user-9")
    assert second["extra_thing"] == "x"
    assert "request_id" not in third
    assert "extra_thing" not in third
    assert structlog.contextvars.get_contextvars() == {}


def test_exception_tracebacks_are_text_and_scrubbed() -> None:
    stream = json_logging()
    try:
        raise ValueError("cannot call https://api.example/?token=abc123")
    except ValueError:
        structlog.get_logger().exception("failed")
    [line] = lines(stream)
    assert "ValueError" in str(line["exception"])
    assert "abc123" not in stream.getvalue()


def test_uvicorn_and_litestar_are_routed_and_access_log_disabled() -> None:
    for name in ("uvicorn.error", "litestar", "uvicorn.access"):
        logging.getLogger(name).addHandler(logging.StreamHandler(io.StringIO()))
    stream = json_logging()
    logging.getLogger("uvicorn.error").info("Started server process", extra={"color_message": "\x1b[1m"})
    logging.getLogger("litestar").info("from litestar")
    logging.getLogger("uvicorn.access").info('127.0.0.1 - "GET / HTTP/1.1" 200')
    events = lines(stream)
    assert [e["event"] for e in events] == ["Started server process", "from litestar"]
    assert "color_message" not in events[0]
    assert logging.getLogger("uvicorn.error").handlers == []
    assert logging.getLogger("uvicorn.access").disabled


def test_sqlalchemy_never_logs_statements_even_at_debug() -> None:
    json_logging("DEBUG")
    assert not logging.getLogger("sqlalchemy.engine.Engine").isEnabledFor(logging.INFO)


def test_reconfiguring_replaces_the_handler() -> None:
    first = json_logging()
    second = json_logging()
    structlog.get_logger().info("once")
    assert first.getvalue() == ""
    assert len(lines(second)) == 1


def test_parse_log_level() -> None:
    assert parse_log_level("info") == logging.INFO
    assert parse_log_level(" DEBUG ") == logging.DEBUG
    assert parse_log_level("30") == logging.WARNING
    with pytest.raises(ValueError, match="unknown log level"):
        parse_log_level("loud")


def test_litestar_config_does_not_touch_logging() -> None:
    root = logging.getLogger()
    handlers = list(root.handlers)
    config = LitestarLoggingConfig()
    assert config.configure() is logging.getLogger
    assert root.handlers == handlers
    assert config.log_exceptions == "always"
