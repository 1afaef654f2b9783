"""A POHODA mServer simulator over real HTTP: the ASGI app.

- ``GET``/``POST /status``: ``<mServer>`` with ``message``, ``name``, ``server``, ``status``
  (idle | busy) and ``processing``, in Windows-1250, without credentials; ``?companyDetail`` needs
  ``STW-Authorization`` (401 wrong or missing, 403 when the user may not open the company) and adds
  ``<companyDetail>`` (``company``, ``databaseName``, ``year``).
- ``POST /xml``: data packs (see :mod:`.endpoint` and :mod:`.packs`).
- ``/_simulator/...``: the control API (see :mod:`.control`).
"""

from __future__ import annotations

import logging
from typing import Any, Final
from xml.sax.saxutils import escape

import uvicorn
from litestar import Litestar, Request, Response, route
from litestar.exceptions import HTTPException

from spojka_connectors.pohoda.simulator.auth import authenticated
from spojka_connectors.pohoda.simulator.control import control_router
from spojka_connectors.pohoda.simulator.endpoint import Receive, Scope, Send, XmlEndpoint
from spojka_connectors.pohoda.simulator.schemas import Schemas, load_schemas
from spojka_connectors.pohoda.simulator.state import State

log = logging.getLogger(__name__)

CODEPAGE: Final = "cp1250"
# Litestar appends "; charset=<encoding>" to text/* media types itself.
CHARSET: Final = "Windows-1250"


def status_document(state: State, server: str, *, company_detail: bool) -> bytes:
    """The ``<mServer>`` reply, encoded as the mServer encodes it."""
    busy = state.processing > 0
    parts = [
        '<?xml version="1.0" encoding="Windows-1250"?>',
        "<mServer>",
        "<message>Response from POHODA mServer</message>",
        f"<name>{escape(state.mserver_name)}</name>",
        f"<server>{escape(server)}</server>",
        f"<status>{'busy' if busy else 'idle'}</status>",
        f"<processing>{state.processing}</processing>",
    ]
    if company_detail:
        parts += [
            "<companyDetail>",
            f"<company>{escape(state.company)}</company>",
            f"<databaseName>{escape(state.database)}</databaseName>",
            f"<year>{escape(state.year)}</year>",
            "</companyDetail>",
        ]
    parts.append("</mServer>")
    return "".join(parts).encode(CODEPAGE, errors="xmlcharrefreplace")


def _plain(status: int, text: str) -> Response[bytes]:
    return Response(
        content=text.encode(CODEPAGE), status_code=status, media_type="text/plain", encoding=CHARSET
    )


class MServerApp:
    """The whole simulator: ``/xml`` handled raw, everything else by a Litestar app."""

    def __init__(self, state: State, schemas: Schemas) -> None:
        self.state = state
        self.schemas = schemas
        self.xml = XmlEndpoint(state, schemas)
        self.litestar = _litestar(state, schemas)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].rstrip("/") == "/xml":
            await self.xml(scope, receive, send)
            return
        await self.litestar(scope, receive, send)  # type: ignore[arg-type]


def build_app(state: State | None = None, schemas: Schemas | None = None) -> MServerApp:
    """The simulator as an ASGI app over ``state`` (a fresh default company when omitted).

    ``schemas`` defaults to the official XSDs when this machine has them (see :mod:`.schemas`).
    """
    schemas = schemas if schemas is not None else load_schemas()
    if not schemas.available:
        log.warning("POHODA simulator: %s", schemas.note)
    return MServerApp(state if state is not None else State(), schemas)


def _litestar(pohoda: State, schemas: Schemas) -> Litestar:
    # Some clients ask for the status by POST; the mServer answers both.
    @route("/status", http_method=["GET", "POST"], sync_to_thread=False)
    def status(request: Request[Any, Any, Any]) -> Response[bytes]:
        if not pohoda.available:
            return _plain(503, "Service Unavailable")
        flags = {
            part.partition("=")[0] for part in request.scope["query_string"].decode("latin-1").split("&")
        }
        company_detail = "companyDetail" in flags
        if company_detail:
            if not authenticated(request.scope["headers"], pohoda):
                return _plain(401, "Unauthorized")
            if not pohoda.user_may_open_company:
                return _plain(403, "Forbidden")
        server = str(request.base_url).rstrip("/")
        body = status_document(pohoda, server, company_detail=company_detail)
        return Response(content=body, status_code=200, media_type="text/xml", encoding=CHARSET)

    return Litestar(
        route_handlers=[status, control_router(pohoda, schemas)],
        exception_handlers={HTTPException: _http_exception},
        openapi_config=None,
        debug=False,
    )


def _http_exception(_: Request[Any, Any, Any], exc: HTTPException) -> Response[bytes]:
    return _plain(exc.status_code, str(exc.detail))


def serve(port: int, state: State | None = None, host: str = "127.0.0.1") -> None:
    """Run the simulator with uvicorn until interrupted."""
    uvicorn.run(build_app(state), host=host, port=port, log_level="info")
