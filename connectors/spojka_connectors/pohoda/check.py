"""The POHODA connection check: ``GET /status?companyDetail`` with the user's credentials.

The plain ``/status`` needs no credentials, so only the company detail proves them; it also names the
company, its database and the accounting year the mServer has open. The detail carries no IČO, but
POHODA names company databases ``StwPh_<IČO>_<year>``; when the name follows that pattern the IČO
in it is compared with the settings, otherwise the answer says the IČO could not be compared.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any, Final

import httpx

from spojka.connector import AuthExpiredError, CheckResult, RetriableError
from spojka.connector.http import RetryPolicy
from spojka_connectors.pohoda.client import (
    DEFAULT_TIMEOUT,
    CompanyDetail,
    MServerClient,
    MServerReply,
    MServerStatus,
)
from spojka_connectors.pohoda.spec import PohodaSettings, SettingsError

log = logging.getLogger(__name__)

_DATABASE_ICO: Final = re.compile(r"^StwPh_(\d{8})_", re.IGNORECASE)
_CHECK_RETRY: Final = RetryPolicy(attempts=1, budget=30.0)


def ico_from_database_name(database_name: str) -> str | None:
    """The IČO in a POHODA database name such as ``StwPh_12345678_2025``, if it has one."""
    match = _DATABASE_ICO.match(database_name)
    return match.group(1) if match else None


async def check_connection(
    settings: Mapping[str, Any],
    credentials: Mapping[str, str],
    *,
    http_timeout: httpx.Timeout = DEFAULT_TIMEOUT,
    transport: httpx.AsyncBaseTransport | None = None,
) -> CheckResult:
    """See the module's docstring. Neither the user name nor the password appears in the answer."""
    try:
        cfg = PohodaSettings.from_mapping(settings)
    except SettingsError as exc:
        return CheckResult(ok=False, message=str(exc))
    username = credentials.get("username") or ""
    password = credentials.get("password") or ""
    if not username or not password:
        return CheckResult(ok=False, message="Enter the POHODA user name and password.")
    client = MServerClient(
        cfg.url,
        username,
        password,
        application=cfg.application,
        timeout=http_timeout,
        transport=transport,
        # A check answers at once: no waiting and retrying behind the user's back.
        retry=_CHECK_RETRY,
    )
    async with client as mserver:
        try:
            reply = await mserver.status(company_detail=True)
        except AuthExpiredError:
            result = _interpret(cfg, MServerReply(status_code=401, mserver=None, text=""))
        except RetriableError as exc:
            if exc.details.get("status") == 503:
                result = _interpret(cfg, MServerReply(status_code=503, mserver=None, text=""))
            else:
                result = CheckResult(
                    ok=False,
                    message=(
                        f"Cannot reach the POHODA mServer at {cfg.url}: {exc.message}. Check that POHODA "
                        "is running with the mServer started, and that its address and port are "
                        "reachable from the internet."
                    ),
                    details={"url": cfg.url, "reason": exc.message},
                )
        else:
            result = _interpret(cfg, reply)
    log.info("pohoda connection check: ok=%s", result.ok)
    return result


def _interpret(cfg: PohodaSettings, reply: MServerReply) -> CheckResult:
    details: dict[str, Any] = {"status": reply.status_code}
    code = reply.status_code
    if code == 401:
        message = (
            "The mServer refused the user name or password: the user does not exist in POHODA, "
            "or the password is wrong."
        )
    elif code == 403:
        message = (
            "The POHODA user may not open the company this mServer serves. "
            "Give the user access to it in POHODA (Přístupová práva)."
        )
    elif code == 503:
        message = "The mServer is busy or not available right now (HTTP 503). Try again later."
    elif code == 404:
        message = f"The address {cfg.url} does not answer like a POHODA mServer (HTTP 404 for /status)."
    elif code != 200:
        remote = f": {reply.text}" if reply.text else ""
        message = f"The mServer answered with HTTP {code}{remote}."
    elif reply.mserver is None:
        message = (
            f"The address {cfg.url} answered, but not like a POHODA mServer. Check the address and port."
        )
    else:
        return _verdict(cfg, reply.mserver)
    return CheckResult(ok=False, message=message, details=details)


def _verdict(cfg: PohodaSettings, status: MServerStatus) -> CheckResult:
    details: dict[str, Any] = {
        "mServer": status.name,
        "state": status.status,
        "processing": status.processing,
    }
    detail = status.company_detail
    if detail is None:
        if status.busy:
            message = "The mServer is busy with other requests right now. Try again later."
        else:
            message = (
                "The mServer answers, but did not confirm the user name and password: its status has "
                "no company detail. Check that POHODA is up to date."
            )
        return CheckResult(ok=False, message=message, details=details)

    details.update({"company": detail.company, "databaseName": detail.database_name, "year": detail.year})
    ok, ico_sentence, matches = _ico_verdict(cfg, detail)
    details["icoMatches"] = matches
    server = f" “{status.name}”" if status.name else ""
    year = f", accounting year {detail.year}" if detail.year else ""
    sentences = [f"Connected to the POHODA mServer{server}: company “{detail.company}”{year}.", ico_sentence]
    if ok and status.busy:
        sentences.append("It is busy with other requests right now; Spojka's requests will wait their turn.")
    return CheckResult(ok=ok, message=" ".join(sentences), details=details)


def _ico_verdict(cfg: PohodaSettings, detail: CompanyDetail) -> tuple[bool, str, bool | None]:
    ico = ico_from_database_name(detail.database_name)
    if ico is None:
        return (
            True,
            (
                f"The mServer does not tell the company's IČO, so {cfg.ico} from the settings could not be "
                "compared; POHODA will refuse data if it differs."
            ),
            None,
        )
    if ico == cfg.ico:
        return True, f"Its database {detail.database_name} carries the IČO {ico} from the settings.", True
    return (
        False,
        (
            f"But its database {detail.database_name} belongs to IČO {ico}, not {cfg.ico} from the settings: "
            "open the right company in the mServer, or correct the IČO."
        ),
        False,
    )
