"""What the logs know about the request being served: its id, and the tenant and user once known.

The request id is bound in structlog's contextvars. The tenant and user are written into
``scope["state"]`` by the authentication middleware *after* this context is entered, so the
scope state itself is kept in a context variable and read lazily by :func:`add_request_principal`;
every line logged after authentication then carries them without anyone binding them again.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, MutableMapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import structlog

__all__ = ("add_request_principal", "request_context", "route_template")

_PRINCIPAL_KEYS = ("tenant_id", "user_id")
_request_state: ContextVar[Mapping[str, Any] | None] = ContextVar("spojka_request_state", default=None)


@contextmanager
def request_context(request_id: str, state: Mapping[str, Any]) -> Iterator[None]:
    """Bind ``request_id`` and the request's scope state for everything logged inside.

    On exit the structlog context is restored to what it was on entry, so whatever the request
    bound (here or deeper down) cannot leak into the next request served by the same task.
    """
    before = structlog.contextvars.get_contextvars()
    state_token = _request_state.set(state)
    structlog.contextvars.bind_contextvars(request_id=request_id)
    try:
        yield
    finally:
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(**before)
        _request_state.reset(state_token)


def add_request_principal(
    _logger: Any, _method_name: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """structlog processor: add ``tenant_id`` and ``user_id`` of the current request, when known."""
    state = _request_state.get()
    if state:
        for key in _PRINCIPAL_KEYS:
            value = state.get(key)
            if value is not None and key not in event_dict:
                event_dict[key] = str(value)
    return event_dict


def route_template(scope: Mapping[str, Any]) -> str | None:
    """The matched route's path template (``/api/v1/links/{id}``), or None if nothing matched.

    Never the raw path, so it is safe as a metric label.
    """
    template = scope.get("path_template")
    if template:
        return str(template)
    if template is None:
        return None
    # Litestar reports an empty template for mounted ASGI apps; their mount path is bounded too.
    paths = getattr(scope.get("route_handler"), "paths", None)
    if paths:
        return str(sorted(paths)[0])
    return None
