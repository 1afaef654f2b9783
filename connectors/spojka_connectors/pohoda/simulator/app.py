"""A POHODA mServer simulator over real HTTP.

So far it answers ``/status`` as the mServer does: ``<mServer>`` with ``message``, ``name``,
``server``, ``status`` (idle | busy) and ``processing``, in Windows-1250, without credentials; with
``?companyDetail`` it requires ``STW-Authorization: Basic base64(user:password)`` (Windows-1250
text), answers 401 for missing or wrong credentials and 403 when the user may not open the company,
and adds ``<companyDetail>`` (``company``, ``databaseName``, ``year``). Later issues add ``POST /xml``.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final
from xml.sax.saxutils import escape

import uvicorn
from litestar import Litestar, Request, Response, route
from litestar.exceptions import HTTPException

DEFAULT_USERNAME: Final = "Spojka"
DEFAULT_PASSWORD: Final = "simulované-heslo"  # noqa: S105 (simulator only)
CODEPAGE: Final = "cp1250"
# Litestar appends "; charset=<encoding>" to text/* media types itself.
CHARSET: Final = "Windows-1250"


def _this_year() -> str:
    return str(datetime.now(tz=UTC).year)


@dataclass(slots=True)
class State:
    """The simulated POHODA with its mServer. Tests change it between requests."""

    username: str = DEFAULT_USERNAME
    password: str = DEFAULT_PASSWORD
    mserver_name: str = "spojka-sim"
    company: str = "Simulovaná účetní jednotka s.r.o."
    ico: str = "12345678"
    year: str = field(default_factory=_this_year)
    database_name: str | None = None
    processing: int = 0
    user_may_open_company: bool = True
    available: bool = True

    @property
    def database(self) -> str:
        """The database name; by default POHODA's ``StwPh_<IČO>_<year>``."""
        return self.database_name or f"StwPh_{self.ico}_{self.year}"


def _credentials(request: Request[Any, Any, Any]) -> tuple[str, str] | None:
    # The raw header bytes: the credentials inside are Windows-1250 text, not Latin-1.
    raw = next((v for k, v in request.scope["headers"] if k.lower() == b"stw-authorization"), None)
    if raw is None or not raw.startswith(b"Basic "):
        return None
    try:
        decoded = base64.b64decode(raw[len(b"Basic ") :].strip(), validate=True)
    except (binascii.Error, ValueError):
        return None
    username, sep, password = decoded.decode(CODEPAGE, errors="replace").partition(":")
    return (username, password) if sep else None


def _authenticated(request: Request[Any, Any, Any], state: State) -> bool:
    given = _credentials(request)
    if given is None:
        return False
    user_ok = hmac.compare_digest(given[0].encode(), state.username.encode())
    password_ok = hmac.compare_digest(given[1].encode(), state.password.encode())
    return user_ok and password_ok


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


def build_app(state: State | None = None) -> Litestar:
    """The simulator as an ASGI app over ``state`` (a fresh default company when omitted)."""
    pohoda = state if state is not None else State()

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
            if not _authenticated(request, pohoda):
                return _plain(401, "Unauthorized")
            if not pohoda.user_may_open_company:
                return _plain(403, "Forbidden")
        server = str(request.base_url).rstrip("/")
        body = status_document(pohoda, server, company_detail=company_detail)
        return Response(content=body, status_code=200, media_type="text/xml", encoding=CHARSET)

    return Litestar(
        route_handlers=[status],
        exception_handlers={HTTPException: _http_exception},
        openapi_config=None,
        debug=False,
    )


def _http_exception(_: Request[Any, Any, Any], exc: HTTPException) -> Response[bytes]:
    return _plain(exc.status_code, str(exc.detail))


def serve(port: int, state: State | None = None, host: str = "127.0.0.1") -> None:
    """Run the simulator with uvicorn until interrupted (``spojka simulate pohoda --port N``)."""
    uvicorn.run(build_app(state), host=host, port=port, log_level="info")
