"""``OPTIONS`` answers whose ``Allow`` lists every method a path serves.

Litestar builds its automatic OPTIONS handler when the first handler of a path is registered and
never refreshes it, so with one module-level function per method it would list only the first.
Registering these explicit handlers first stops Litestar from making its own.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from litestar import Request, Response, route
from litestar.enums import HttpMethod
from litestar.handlers import HTTPRouteHandler
from litestar.status_codes import HTTP_204_NO_CONTENT


def _options_for(path: str) -> HTTPRouteHandler:
    def options(request: Request[Any, Any, Any]) -> Response[None]:
        methods = request.app.route_handler_method_map.get(path, {})
        return Response(None, status_code=HTTP_204_NO_CONTENT, headers={"Allow": ", ".join(sorted(methods))})

    return route(
        path,
        http_method=[HttpMethod.OPTIONS],
        include_in_schema=False,
        opt={"exclude_from_auth": True},
        sync_to_thread=False,
        name=f"options {path}",
    )(options)


def options_handlers(route_handlers: Iterable[object]) -> list[HTTPRouteHandler]:
    """One OPTIONS handler per path of ``route_handlers``; register them before the rest."""
    paths = {p for h in route_handlers if isinstance(h, HTTPRouteHandler) for p in h.paths}
    return [_options_for(path) for path in sorted(paths)]
