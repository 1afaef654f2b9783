"""A small client for the POHODA mServer: its authentication headers, encodings and ``/status``.

* ``STW-Authorization: Basic base64(user:password)``; it is not the standard ``Authorization`` header.
* ``STW-Application`` names the caller in the mServer's monitoring and XML import log.
* Replies are Windows-1250 (POHODA's code page), which is also how Spojka encodes the credentials
  and the application name it sends; text that code page cannot hold goes as UTF-8.
* ``GET /status`` answers ``<mServer>`` with ``message``, ``name``, ``server``, ``status``
  (idle | busy) and ``processing``; ``GET /status?companyDetail`` with ``STW-Authorization`` adds
  ``<companyDetail>`` with ``company``, ``databaseName`` and ``year``.
"""

from __future__ import annotations

import base64
import re
import socket
import ssl
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass
from types import TracebackType
from typing import Final

import httpx

AUTH_HEADER: Final = "STW-Authorization"
APPLICATION_HEADER: Final = "STW-Application"
CODEPAGE: Final = "cp1250"
DEFAULT_TIMEOUT: Final = httpx.Timeout(15.0, connect=5.0)

_MAX_REMOTE_TEXT = 200
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
_CHARSET = re.compile(r"charset=\"?([\w.:-]+)", re.IGNORECASE)
_TAGS = re.compile(r"<[^>]*>")


def encode_text(value: str) -> bytes:
    """Encode text for POHODA: Windows-1250 where it fits, else UTF-8."""
    try:
        return value.encode(CODEPAGE)
    except UnicodeEncodeError:
        return value.encode("utf-8")


def basic_authorization(username: str, password: str) -> bytes:
    """The value of ``STW-Authorization`` for these credentials."""
    return b"Basic " + base64.b64encode(encode_text(f"{username}:{password}"))


@dataclass(frozen=True, slots=True)
class CompanyDetail:
    """The company (účetní jednotka) the mServer serves, as ``/status?companyDetail`` tells it."""

    company: str
    database_name: str
    year: str


@dataclass(frozen=True, slots=True)
class MServerStatus:
    """The ``<mServer>`` document of ``/status``."""

    message: str
    name: str
    server: str
    status: str
    processing: int | None
    company_detail: CompanyDetail | None

    @property
    def busy(self) -> bool:
        return self.status.lower() == "busy" or bool(self.processing)


@dataclass(frozen=True, slots=True)
class MServerReply:
    """An HTTP answer of the mServer: its status code, the parsed status document if any, and text."""

    status_code: int
    mserver: MServerStatus | None
    text: str


class MServerUnreachableError(Exception):
    """No HTTP answer at all: DNS, refused connection, TLS failure or timeout."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def parse_xml(body: bytes, content_type: str | None = None) -> ET.Element | None:
    """Parse an mServer reply; the declared encoding wins, else the HTTP charset, else Windows-1250."""
    head = body[:1024].upper()
    if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
        # mServer replies never declare a DTD; refusing one rules out entity expansion tricks.
        return None
    try:
        return ET.fromstring(body)  # noqa: S314 (no DTD, see above; expat resolves no external entities)
    except ET.ParseError:
        pass
    text = decode_text(body, content_type)
    try:
        return ET.fromstring(_XML_DECLARATION.sub("", text, count=1))  # noqa: S314 (as above)
    except ET.ParseError:
        return None


def decode_text(body: bytes, content_type: str | None = None) -> str:
    """Decode a reply body as text: the HTTP charset when given and known, else Windows-1250."""
    match = _CHARSET.search(content_type or "")
    charset = match.group(1) if match else CODEPAGE
    try:
        return body.decode(charset, errors="replace")
    except LookupError:
        return body.decode(CODEPAGE, errors="replace")


def parse_status(root: ET.Element | None) -> MServerStatus | None:
    """The status document, or ``None`` if ``root`` is not one."""
    if root is None or root.tag != "mServer":
        return None

    def text(element: ET.Element, name: str) -> str:
        return (element.findtext(name) or "").strip()

    processing_text = text(root, "processing")
    detail = root.find("companyDetail")
    return MServerStatus(
        message=text(root, "message"),
        name=text(root, "name"),
        server=text(root, "server"),
        status=text(root, "status"),
        processing=int(processing_text) if processing_text.isdigit() else None,
        company_detail=(
            CompanyDetail(
                company=text(detail, "company"),
                database_name=text(detail, "databaseName"),
                year=text(detail, "year"),
            )
            if detail is not None
            else None
        ),
    )


def scrub(text: str, secrets: Iterable[str]) -> str:
    """Plain, short text of a remote reply with the secrets removed."""
    text = " ".join(_TAGS.sub(" ", text).split())
    for secret in secrets:
        if secret:
            text = text.replace(secret, "[hidden]")
    if len(text) > _MAX_REMOTE_TEXT:
        text = text[: _MAX_REMOTE_TEXT - 1] + "…"
    return text


def _describe_transport_error(exc: httpx.TransportError) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return "no answer in time"
    if not isinstance(exc, httpx.ConnectError):
        return "the connection broke off"
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ConnectionRefusedError):
            return "the connection was refused (nothing listens at that address and port)"
        if isinstance(cause, socket.gaierror):
            return "the host name could not be resolved"
        if isinstance(cause, ssl.SSLError):
            return "the secure (TLS) connection failed"
        cause = cause.__cause__ or cause.__context__
    return "the connection failed"


class MServerClient:
    """An ``async with`` HTTP client of one mServer; it never logs or returns the credentials."""

    def __init__(
        self,
        url: str,
        username: str,
        password: str,
        *,
        application: str,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self._secrets = (username, password)
        self._http = httpx.AsyncClient(
            base_url=self.url,
            headers={
                AUTH_HEADER.encode(): basic_authorization(username, password),
                APPLICATION_HEADER.encode(): encode_text(application),
            },
            timeout=timeout,
            transport=transport,
            follow_redirects=False,
        )

    async def __aenter__(self) -> MServerClient:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    def scrub(self, text: str) -> str:
        return scrub(text, self._secrets)

    async def status(self, *, company_detail: bool = True) -> MServerReply:
        """``GET /status`` (with ``?companyDetail``, which makes the mServer check the credentials)."""
        # The mServer expects the bare flag "?companyDetail", not "companyDetail=".
        path = "/status?companyDetail" if company_detail else "/status"
        try:
            response = await self._http.get(path)
        except httpx.TransportError as exc:
            raise MServerUnreachableError(_describe_transport_error(exc)) from None
        content_type = response.headers.get("content-type")
        return MServerReply(
            status_code=response.status_code,
            mserver=parse_status(parse_xml(response.content, content_type)),
            text=self.scrub(decode_text(response.content, content_type)),
        )
