"""What the OpenAPI document says beyond what Litestar infers: who may call an operation, which
problems it can answer with, and that request bodies refuse unknown fields.

Generated clients (the dashboard's TypeScript client, partners' SDKs) rely on these.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from litestar import Litestar
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.datastructures import ResponseSpec

from spojka.http.schemas import Input, Output

SESSION_SECURITY: list[dict[str, list[str]]] = [{"session": []}]
PROBLEM_MEDIA_TYPE = "application/problem+json"
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
RATE_LIMITED = frozenset({"signup", "login", "acceptInvitation"})

_DESCRIPTIONS = {
    400: "The request is malformed: bad JSON, wrong types, unknown fields.",
    401: "Not signed in, or the session has expired.",
    403: "The role does not allow this, or the CSRF token is missing.",
    404: "No such object (another tenant's objects are answered the same way).",
    409: "Conflicts with existing data (a duplicate name, an object still in use).",
    413: "The request body is too large.",
    422: "Well-formed, but the content cannot be accepted; `errors` lists the fields.",
    429: "Too many attempts; `Retry-After` says when to try again.",
    503: "Spojka or a system it depends on cannot complete this now; try again later.",
}


class ProblemDetails(Output, kw_only=True):
    """An error, as RFC 9457 describes it."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    errors: list[dict[str, str]] | None = None


def _problem(status: int) -> ResponseSpec:
    return ResponseSpec(
        data_container=ProblemDetails,
        media_type=PROBLEM_MEDIA_TYPE,
        description=_DESCRIPTIONS[status],
        generate_examples=False,
    )


def _handlers(route_handlers: Iterable[object]) -> Iterator[HTTPRouteHandler]:
    for handler in route_handlers:
        if isinstance(handler, HTTPRouteHandler):
            yield handler


def document_operations(route_handlers: Iterable[object]) -> None:
    """Set each handler's security and problem answers from its options, path and methods."""
    for handler in _handlers(route_handlers):
        public = bool(handler.opt.get("exclude_from_auth"))
        unsafe = bool(handler.http_methods & UNSAFE)
        has_id = any("{" in path for path in handler.paths)
        statuses = {400}
        if not public:
            statuses |= {401, 403}
        if unsafe:
            statuses |= {403, 409, 413, 422}
        if has_id:
            statuses.add(404)
        if handler.operation_id in RATE_LIMITED:
            statuses.add(429)
        # Answers a handler gives beyond what its method and path imply (e.g. a failed login's 401).
        statuses |= set(handler.opt.get("answers", ()))
        handler.responses = {status: _problem(status) for status in sorted(statuses)} | dict(
            handler.responses or {}
        )


def _subclasses(cls: type) -> Iterator[type]:
    sub: type
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def refine_schema(app: Litestar, route_handlers: Iterable[object]) -> None:
    """Public operations need no session (``security: []`` under the document's default), and
    request-body schemas say ``additionalProperties: false``, as the API enforces."""
    openapi = app.openapi_schema
    public = {h.operation_id for h in _handlers(route_handlers) if h.opt.get("exclude_from_auth")}
    for path_item in (openapi.paths or {}).values():
        for method in ("get", "put", "post", "delete", "patch", "head", "options"):
            operation = getattr(path_item, method, None)
            if operation is not None and operation.operation_id in public:
                operation.security = []
    names = {cls.__name__ for cls in _subclasses(Input)}
    for key, schema in (openapi.components.schemas or {}).items():
        if key.rsplit("_", 1)[-1] in names or key in names:
            schema.additional_properties = False
