"""A small client for the POHODA mServer: its authentication headers, encodings and ``/status``.

* ``STW-Authorization: Basic base64(user:password)``; it is not the standard ``Authorization`` header.
* ``STW-Application`` names the caller in the mServer's monitoring and XML import log.
* ``POST /xml`` takes one ``dat:dataPack`` and answers one ``rsp:responsePack`` (HTTP 200 even when
  the pack or its items failed); 401 wrong credentials, 403 the user may not open the company,
  503 unavailable (the shared client retries it).
* Replies are Windows-1250 (POHODA's code page), which is also how Spojka encodes the credentials
  and the application name it sends; text that code page cannot hold goes as UTF-8.
* ``GET /status`` answers ``<mServer>`` with ``message``, ``name``, ``server``, ``status``
  (idle | busy) and ``processing``; ``GET /status?companyDetail`` with ``STW-Authorization`` adds
  ``<companyDetail>`` with ``company``, ``databaseName`` and ``year``.
"""

from __future__ import annotations

import base64
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass
from types import TracebackType
from typing import Final

import httpx
from lxml import etree

from spojka.connector import AuthExpiredError, ConfigError, FatalError, RetriableError
from spojka.connector.http import ConnectorHttpClient, RetryPolicy
from spojka_connectors.pohoda.spec import RATE_LIMITS
from spojka_connectors.pohoda.xmlns import parse_document

AUTH_HEADER: Final = "STW-Authorization"
APPLICATION_HEADER: Final = "STW-Application"
CODEPAGE: Final = "cp1250"
CHECK_DUPLICITY_HEADER: Final = "STW-Check-Duplicity"
DEFAULT_TIMEOUT: Final = httpx.Timeout(15.0, connect=5.0)
#: A data pack of many documents takes POHODA a while: the read timeout of ``POST /xml``.
XML_TIMEOUT: Final = httpx.Timeout(connect=5.0, read=300.0, write=60.0, pool=600.0)
NAME: Final = "The POHODA mServer"

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


class MServerClient:
    """An ``async with`` client of one mServer on the SDK's :class:`ConnectorHttpClient`.

    One request at a time per connection (the spec's ``max_concurrency=1``, shared by every client
    with the same ``connection_id``); retries of 503 and of lost answers to reads are the shared
    client's. It never logs or returns the credentials.
    """

    def __init__(
        self,
        url: str,
        username: str,
        password: str,
        *,
        application: str,
        connection_id: str | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self._secrets = (username, password)
        self._http = ConnectorHttpClient(
            base_url=self.url,
            name=NAME,
            limits=RATE_LIMITS,
            limit_key=f"pohoda:{connection_id}" if connection_id else None,
            headers={
                AUTH_HEADER: basic_authorization(username, password).decode("ascii"),
                # Re-sending a pack with the same ids then finds the earlier record, not a twin.
                CHECK_DUPLICITY_HEADER: "true",
            },
            timeout=timeout,
            retry=retry,
            secret_headers=(AUTH_HEADER,),
            transport=transport,
        )
        # The application name is Windows-1250 text on the wire (httpx would insist on ASCII).
        headers = self._http.headers
        headers.encoding = "cp1250" if _fits_codepage(application) else "utf-8"
        headers[APPLICATION_HEADER] = application

    async def __aenter__(self) -> MServerClient:
        await self._http.__aenter__()
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
        """``GET /status`` (with ``?companyDetail``, which makes the mServer check the credentials).

        Raises :class:`AuthExpiredError` on 401 and :class:`RetriableError` when unreachable or 503.
        """
        # The mServer expects the bare flag "?companyDetail", not "companyDetail=".
        path = "/status?companyDetail" if company_detail else "/status"
        response = await self._http.get(path)
        content_type = response.headers.get("content-type")
        return MServerReply(
            status_code=response.status_code,
            mserver=parse_status(parse_xml(response.content, content_type)),
            text=self.scrub(decode_text(response.content, content_type)),
        )

    async def send(self, pack: bytes, *, read_only: bool = False) -> etree._Element:
        """``POST /xml`` with one data pack; the parsed ``rsp:responsePack``.

        ``read_only`` packs (list requests) may be sent again after a lost answer; an import is not
        (the caller looks the documents up by their extId instead).
        """
        response = await self._http.post(
            "/xml",
            content=pack,
            headers={"Content-Type": "text/xml; charset=Windows-1250"},
            timeout=XML_TIMEOUT,
            retry_unsafe=read_only,
        )
        code = response.status_code
        if code == 403:
            raise AuthExpiredError(
                "The POHODA user may not open the company this mServer serves (HTTP 403). Give the user "
                "access to it in POHODA (Přístupová práva), or reconnect with another user."
            )
        if code in (404, 405):
            raise ConfigError(
                f"The address {self.url} does not answer like a POHODA mServer (HTTP {code} for /xml). "
                "Check the mServer address and port in the connection settings."
            )
        if code == 400:
            raise FatalError(
                "The mServer refused Spojka's data as malformed (HTTP 400). This is Spojka's fault: "
                "contact support with the run's details."
            )
        if code >= 500 or code == 408:
            raise RetriableError(f"{NAME} answered HTTP {code}; the data will be sent again later.")
        if code != 200:
            raise FatalError(f"{NAME} answered HTTP {code}: {self.scrub(decode_text(response.content))}")
        try:
            return parse_document(response.content)
        except etree.XMLSyntaxError:
            raise RetriableError(
                f"{NAME} sent an answer that is not XML; the request will be repeated."
            ) from None


def _fits_codepage(text: str) -> bool:
    try:
        text.encode(CODEPAGE)
    except UnicodeEncodeError:
        return False
    return True
