"""Process-wide logging: structlog in front of the standard library, one handler, one format.

Everything (our structlog loggers, uvicorn, Litestar, SQLAlchemy, arq, ...) ends in a single
stdlib handler whose formatter merges the request context, stamps UTC ISO timestamps, scrubs
secrets and renders either JSON lines or a readable console line.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import MutableMapping
from dataclasses import dataclass, field
from typing import Any, Literal, TextIO

import structlog
from litestar.logging.config import BaseLoggingConfig
from litestar.types import Logger, Scope
from litestar.types.callable_types import ExceptionLoggingHandler, GetLogger
from structlog.typing import Processor

from spojka.settings import Settings
from spojka.system.context import add_request_principal, route_template
from spojka.system.redaction import redact_sensitive

__all__ = ("LitestarLoggingConfig", "configure_logging", "parse_log_level")

# Routed through our handler like everything else.
_PROPAGATED_LOGGERS = ("uvicorn", "uvicorn.error", "litestar")
# Requests are logged once, by RequestLogMiddleware.
_SILENCED_LOGGERS = ("uvicorn.access",)
# Never below WARNING: SQLAlchemy logs statements *with parameters* at INFO (password hashes,
# sealed credentials); httpx logs full URLs; the others are chatty at DEBUG.
_QUIET_LOGGERS = ("sqlalchemy", "aiosqlite", "asyncpg", "httpx", "httpcore", "hpack", "multipart")


class _SpojkaHandler(logging.StreamHandler[TextIO]):
    """Marks the handler this module installed, so reconfiguring replaces it instead of adding one."""


def parse_log_level(name: str) -> int:
    """``"info"`` / ``"INFO"`` / ``"20"`` → ``logging.INFO``; anything else is a ``ValueError``."""
    text = name.strip().upper()
    if text.isdigit():
        return int(text)
    levels = logging.getLevelNamesMapping()
    if text not in levels:
        msg = f"unknown log level {name!r}: use DEBUG, INFO, WARNING or ERROR"
        raise ValueError(msg)
    return levels[text]


def _drop_color_message(
    _logger: Any, _method_name: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    # uvicorn attaches a pre-coloured copy of every message as an "extra".
    event_dict.pop("color_message", None)
    return event_dict


def _renderer(json_output: bool, stream: TextIO) -> Processor:
    if json_output:
        return structlog.processors.JSONRenderer()
    colors = stream.isatty() and "NO_COLOR" not in os.environ
    # plain_traceback: the default rich formatter prints local variables, which may hold secrets.
    return structlog.dev.ConsoleRenderer(colors=colors, exception_formatter=structlog.dev.plain_traceback)


def configure_logging(settings: Settings, *, stream: TextIO | None = None) -> None:
    """Set up structlog and the standard library logging for this process.

    Call once at start, before the Litestar app is created, and give that app
    ``logging_config=LitestarLoggingConfig()`` (Litestar's default config would reinstall its
    own root handler). Run uvicorn with ``log_config=None, access_log=False``.
    Calling it again replaces the previous configuration.

    Args:
        settings: ``log_level`` and ``effective_log_format`` ("json" or "console") are used.
        stream: where lines go; standard error by default (standard output is left to the CLI).
    """
    level = parse_log_level(settings.log_level)
    out = stream if stream is not None else sys.stderr
    json_output = settings.effective_log_format == "json"

    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        add_request_principal,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.StackInfoRenderer(),
    ]
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*shared, structlog.stdlib.ExtraAdder(), _drop_color_message],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            redact_sensitive,
            _renderer(json_output, out),
        ],
    )
    handler = _SpojkaHandler(out)
    handler.setFormatter(formatter)

    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _SpojkaHandler)]:
        root.removeHandler(old)
        old.close()
    root.addHandler(handler)
    root.setLevel(level)

    for name in _PROPAGATED_LOGGERS:
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
        logger.disabled = False
        logger.setLevel(logging.NOTSET)
    for name in _SILENCED_LOGGERS:
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = False
        logger.disabled = True
    for name in _QUIET_LOGGERS:
        logging.getLogger(name).setLevel(max(level, logging.WARNING))
    logging.captureWarnings(True)

    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *shared,
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        # Caching would pin module-level loggers to whatever configuration was current at their
        # first use (possibly structlog's defaults, before this ran).
        cache_logger_on_first_use=False,
    )


def _log_server_errors(logger: Logger, scope: Scope, _traceback: list[str]) -> None:
    # Called by Litestar inside its `except` block for every exception a handler raised; the
    # 4xx ones (validation, not found, unauthorized) are answers, not faults.
    exc = sys.exc_info()[1]
    status = getattr(exc, "status_code", 500)
    if isinstance(status, int) and status < 500:
        return
    logger.error(
        "unhandled exception",
        exc_info=True,
        extra={"method": scope.get("method"), "route": route_template(scope) or "unmatched"},
    )


@dataclass
class LitestarLoggingConfig(BaseLoggingConfig):
    """Litestar logging config that leaves logging to :func:`configure_logging`.

    Litestar's own ``LoggingConfig`` runs ``dictConfig`` on app creation and replaces the root
    handler; this one configures nothing, and logs each unhandled exception (5xx only) once with
    its traceback through the ``litestar`` logger.
    """

    log_exceptions: Literal["always", "debug", "never"] = "always"
    traceback_line_limit: int = -1
    exception_logging_handler: ExceptionLoggingHandler | None = _log_server_errors
    disable_stack_trace: set[int | type[Exception]] = field(default_factory=set)

    def configure(self) -> GetLogger:
        """Return ``logging.getLogger``; the configuration itself is done by configure_logging."""
        return logging.getLogger

    @staticmethod
    def set_level(logger: Any, level: int) -> None:
        """Set ``logger``'s level (Litestar calls this when ``app.debug`` changes)."""
        logger.setLevel(level)
