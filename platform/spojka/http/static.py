"""The built dashboard (``frontend/dist``) served at ``/``, with the single-page app's fallback.

Any path that is not a file of the build answers ``index.html``, so a reload on ``/runs/…`` opens
the app there. Paths under the API's own prefixes are never answered by the app: an unknown
``/api/...`` stays a 404 problem, not an HTML page. Without a build (a fresh checkout before
``npm run build``, or an installed wheel) the plain landing page is served instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from litestar import MediaType, Request, get, route
from litestar.handlers import HTTPRouteHandler
from litestar.params import FromPath
from litestar.response import File

from spojka.http.problems import NotFound

#: The build that `make run` and `make test` produce (frontend/ beside platform/).
DEFAULT_DIST = Path(__file__).resolve().parents[3] / "frontend" / "dist"

#: Paths the app never shadows: the APIs, OAuth, partners, probes, metrics, the API docs.
RESERVED_PREFIXES = ("api", "oauth", "partner", "health", "ready", "metrics", "schema")

#: Types by suffix, not by the machine's mime.types: with ``nosniff`` a wrong type breaks the app.
_MEDIA_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".json": "application/json",
    ".webmanifest": "application/manifest+json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".woff2": "font/woff2",
    ".txt": "text/plain; charset=utf-8",
}
_INDEX_HEADERS = {"cache-control": "no-cache"}
_ASSET_HEADERS = {"cache-control": "public, max-age=31536000, immutable"}


def _reserved(path: str) -> bool:
    first = path.lstrip("/").split("/", 1)[0]
    return first in RESERVED_PREFIXES


def _file_in(dist: Path, path: str) -> Path | None:
    """The build's file at ``path``, or None (also for anything resolving outside the build)."""
    candidate = (dist / path.lstrip("/")).resolve()
    if not candidate.is_relative_to(dist) or not candidate.is_file():
        return None
    return candidate


def spa_routes(dist: Path) -> list[HTTPRouteHandler]:
    """``/`` and ``/{path}`` serving ``dist``: its files, else ``index.html``."""
    dist = dist.resolve()
    index = dist / "index.html"

    def index_response() -> File:
        return File(
            index, media_type=MediaType.HTML, content_disposition_type="inline", headers=_INDEX_HEADERS
        )

    @get(
        "/",
        operation_id="dashboardIndex",
        include_in_schema=False,
        opt={"exclude_from_auth": True},
        sync_to_thread=False,
    )
    def dashboard_index() -> File:
        """The dashboard's entry page."""
        return index_response()

    # Every method, so that an unknown API path keeps answering 404 (not 405) for any method; it
    # changes nothing, hence no CSRF check.
    @route(
        "/{path:path}",
        http_method=["GET", "POST", "PUT", "PATCH", "DELETE"],
        operation_id="dashboardFile",
        status_code=200,
        include_in_schema=False,
        opt={"exclude_from_auth": True, "exclude_from_csrf": True},
        sync_to_thread=False,
    )
    def dashboard_file(path: FromPath[str], request: Request[Any, Any, Any]) -> File:
        """A file of the build, or the entry page for the app's own paths."""
        if request.method != "GET" or _reserved(path):
            raise NotFound("There is nothing at this address.")
        found = _file_in(dist, path)
        if found is None:
            return index_response()
        cached = found.parent.name == "assets"  # Vite's content-hashed file names
        return File(
            found,
            media_type=_MEDIA_TYPES.get(found.suffix.lower(), "application/octet-stream"),
            content_disposition_type="inline",
            headers=_ASSET_HEADERS if cached else None,
        )

    return [dashboard_index, dashboard_file]


def frontend_routes(
    fallback: Sequence[HTTPRouteHandler], dist: Path = DEFAULT_DIST
) -> list[HTTPRouteHandler]:
    """The dashboard's routes when it is built, else ``fallback`` (the plain landing page)."""
    if (dist / "index.html").is_file():
        return spa_routes(dist)
    return list(fallback)
