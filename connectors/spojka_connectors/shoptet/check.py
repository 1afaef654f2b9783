"""The Shoptet connection check: does the token open the e-shop, and may it do what Spojka needs?

1. ``GET /api/eshop`` proves the address and the token and names the e-shop.
2. ``GET /api/system/endpoints`` lists the endpoints approved for an addon, but the reference gives
   neither its meaning for a private token nor the identifiers of the groups Spojka needs. So each
   group is probed with its cheapest read; a 403 ``invalid-token-no-rights`` means it is missing.
   Write access cannot be tried without writing, so it is not claimed.
3. The warehouse list from the stocks probe confirms that the configured ``stockId`` exists.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal

import httpx
import msgspec

from spojka.connector import CheckResult, ConfigError, ConnectorError, MemoryState
from spojka.connector.http import RetryPolicy
from spojka_connectors.shoptet.client import (
    ACCESS_TOKEN_HEADER,
    DEFAULT_TIMEOUT,
    MISSING_MODULE,
    NO_RIGHTS,
    TOKEN_HEADER,
    ShoptetClient,
    ShoptetResponse,
    ShoptetUnreachableError,
)
from spojka_connectors.shoptet.oauth import AccessTokens
from spojka_connectors.shoptet.spec import SettingsError, ShoptetSettings

log = logging.getLogger(__name__)

# The platform gives a check 30 seconds; the probes stop early enough to answer within it.
PROBE_BUDGET_SECONDS: Final = 12.0
# A check answers a person waiting: one retry at most, and no long waits for the bucket.
CHECK_RETRY: Final = RetryPolicy(attempts=2, budget=8.0)

Access = Literal["granted", "missing", "module-missing", "unverified"]


@dataclass(frozen=True, slots=True)
class RightProbe:
    """The cheapest read of one endpoint group Spojka needs."""

    key: str
    label: str
    path: str
    params: Mapping[str, str | int] = field(default_factory=dict)
    required: bool = True


PROBES: Final = (
    RightProbe("orders", "orders", "/api/orders", {"itemsPerPage": 1}),
    RightProbe("products", "products", "/api/products", {"itemsPerPage": 1}),
    RightProbe("stocks", "stocks", "/api/stocks"),
    RightProbe("pricelists", "price lists", "/api/pricelists"),
    # Without webhooks Spojka still works: new orders arrive through the periodic poll.
    RightProbe("webhooks", "webhooks", "/api/webhooks", {"itemsPerPage": 1}, required=False),
)


@dataclass(frozen=True, slots=True)
class ProbeResult:
    access: Access
    data: Any = None
    note: str = ""


class _ContactInformation(msgspec.Struct, rename="camel"):
    eshop_id: int
    eshop_name: str
    url: str
    eshop_title: str | None = None


class _EshopInfo(msgspec.Struct, rename="camel"):
    contact_information: _ContactInformation


class _Stock(msgspec.Struct):
    id: int
    title: str


class _Stocks(msgspec.Struct):
    stocks: list[_Stock]


async def check_connection(
    settings: Mapping[str, Any],
    credentials: Mapping[str, str],
    *,
    http_timeout: httpx.Timeout = DEFAULT_TIMEOUT,
    transport: httpx.AsyncBaseTransport | None = None,
) -> CheckResult:
    """See the module's docstring. The token never appears in the answer or in a log."""
    try:
        cfg = ShoptetSettings.from_mapping(settings)
    except SettingsError as exc:
        return CheckResult(ok=False, message=str(exc))
    token = credentials.get("apiToken") or credentials.get("oauthToken") or ""
    if not token:
        return CheckResult(
            ok=False,
            message="No API token is set. Enter the e-shop's private API token, or install the add-on.",
        )
    if not (token.isascii() and token.isprintable()) or " " in token:
        return CheckResult(
            ok=False,
            message=(
                "The API token contains characters a Shoptet token never has. "
                "Copy it again from the e-shop administration."
            ),
        )
    header = TOKEN_HEADER
    if not credentials.get("apiToken"):
        try:
            token, header = await _access_token(cfg, token, transport), ACCESS_TOKEN_HEADER
        except ConnectorError as exc:
            return CheckResult(ok=False, message=exc.message)
    async with ShoptetClient(
        cfg.api_url, token, header=header, retry=CHECK_RETRY, timeout=http_timeout, transport=transport
    ) as api:
        try:
            result = await _check(api, cfg)
        except ShoptetUnreachableError as exc:
            result = _unreachable(cfg, exc)
    log.info("shoptet connection check: ok=%s", result.ok)
    return result


def _unreachable(cfg: ShoptetSettings, exc: ShoptetUnreachableError) -> CheckResult:
    details: dict[str, Any] = {"apiUrl": cfg.api_url, "reason": exc.reason}
    if exc.status is not None:
        details["status"] = exc.status
    if exc.status == 429:
        wait = exc.retry_after
        when = f"in {wait:.0f} s" if wait is not None and wait >= 1 else "in a minute"
        message = f"Shoptet is limiting requests for this token right now (HTTP 429); try again {when}."
    elif exc.status == 503:
        message = "Shoptet is under maintenance (HTTP 503). Try again in a few minutes."
    else:
        message = (
            f"Cannot reach the Shoptet API at {cfg.api_url}: {exc.reason}. "
            "Check the API address, or try again later."
        )
    return CheckResult(ok=False, message=message, details=details)


async def _access_token(
    cfg: ShoptetSettings, oauth_token: str, transport: httpx.AsyncBaseTransport | None
) -> str:
    """An add-on access token for the check (kept nowhere: the check has no connection state)."""
    if cfg.oauth_server_url is None:
        msg = "Add-on mode needs the OAuth server address in the settings (oauthServerUrl)."
        raise ConfigError(msg)
    return await AccessTokens(cfg.oauth_server_url, oauth_token, MemoryState(), transport=transport).current()


async def _check(api: ShoptetClient, cfg: ShoptetSettings) -> CheckResult:
    eshop = await api.get("/api/eshop")
    if eshop.status == 401:
        return _token_refused(eshop)
    if eshop.status == 403 and eshop.has_error(NO_RIGHTS):
        probes = await _probe_rights(api)
        lacking = ["e-shop information", *(p.label for p in PROBES if probes[p.key].access == "missing")]
        return CheckResult(
            ok=False,
            message=(
                f"Shoptet accepted the API token, but it lacks the rights for {_join(lacking)}. "
                "In the e-shop administration, under Access to API, give the token these endpoint groups."
            ),
            details={"status": 403, "rights": _rights_details(probes), "requestId": eshop.request_id},
        )
    if eshop.status != 200 or eshop.envelope is None:
        return _remote_failure(api, cfg, eshop)
    try:
        info = msgspec.convert(eshop.envelope.data, _EshopInfo).contact_information
    except msgspec.ValidationError:
        return CheckResult(
            ok=False,
            message=(
                f"The address {cfg.api_url} answered, but not with Shoptet's e-shop information. "
                "Check the API address."
            ),
            details={"apiUrl": cfg.api_url},
        )
    probes = await _probe_rights(api)
    return _verdict(cfg, info, probes, eshop.request_id)


async def _probe_rights(api: ShoptetClient) -> dict[str, ProbeResult]:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + PROBE_BUDGET_SECONDS
    results: dict[str, ProbeResult] = {}
    # One probe at a time: Shoptet allows a token only 3 simultaneous connections, and the
    # merchant's own integrations may be using some of them.
    for probe in PROBES:
        remaining = deadline - loop.time()
        if remaining <= 0:
            results[probe.key] = ProbeResult("unverified", note="no time left to try it")
            continue
        try:
            response = await api.get(probe.path, probe.params, request_timeout=min(remaining, 10.0))
        except ShoptetUnreachableError as exc:
            results[probe.key] = ProbeResult("unverified", note=exc.reason)
            continue
        results[probe.key] = _probe_result(api, response)
    return results


def _probe_result(api: ShoptetClient, response: ShoptetResponse) -> ProbeResult:
    if response.status == 200 and response.envelope is not None:
        return ProbeResult("granted", data=response.envelope.data)
    if response.status == 403 and response.has_error(NO_RIGHTS):
        return ProbeResult("missing")
    if response.status == 403 and response.has_error(MISSING_MODULE):
        return ProbeResult("module-missing", note=_remote_message(api, response))
    return ProbeResult("unverified", note=f"HTTP {response.status}: {_remote_message(api, response)}")


def _verdict(
    cfg: ShoptetSettings, info: _ContactInformation, probes: Mapping[str, ProbeResult], request_id: str | None
) -> CheckResult:
    name = info.eshop_name or info.eshop_title or f"#{info.eshop_id}"
    sentences = [f"Connected to the Shoptet e-shop “{name}” ({info.url})."]
    ok = True

    missing = [p for p in PROBES if probes[p.key].access == "missing"]
    missing_required = [p.label for p in missing if p.required]
    if missing_required:
        ok = False
        sentences.append(
            f"But the API token lacks the rights for {_join(missing_required)}: in the e-shop "
            "administration, under Access to API, give the token these endpoint groups (read and write)."
        )
    if any(not p.required for p in missing):
        sentences.append(
            "The token has no right to webhooks, so new orders will arrive through the regular poll "
            "(every 15 minutes) instead of at once."
        )
    for probe in PROBES:
        result = probes[probe.key]
        if result.access == "module-missing":
            ok = ok and not probe.required
            sentences.append(f"The e-shop lacks a module Spojka needs for {probe.label} ({result.note}).")
    unverified = [p.label for p in PROBES if probes[p.key].access == "unverified"]
    if unverified:
        sentences.append(f"Access to {_join(unverified)} could not be verified just now.")

    stock_ok, stock_sentence = _stock_verdict(cfg, probes["stocks"])
    ok = ok and stock_ok
    granted = [p.label for p in PROBES if probes[p.key].access == "granted"]
    if ok and granted:
        sentences.append(
            f"The token can read {_join(granted)}; write access is confirmed by the first write."
        )
    if stock_sentence:
        sentences.append(stock_sentence)
    return CheckResult(
        ok=ok,
        message=" ".join(sentences),
        details={
            "eshopId": info.eshop_id,
            "eshopName": name,
            "url": info.url,
            "stockId": cfg.stock_id,
            "rights": _rights_details(probes),
            "requestId": request_id,
        },
    )


def _stock_verdict(cfg: ShoptetSettings, probe: ProbeResult) -> tuple[bool, str]:
    if probe.access != "granted":
        return True, ""
    try:
        stocks = msgspec.convert(probe.data, _Stocks).stocks
    except msgspec.ValidationError:
        return True, f"The warehouse list could not be read, so warehouse {cfg.stock_id} was not confirmed."
    for stock in stocks:
        if stock.id == cfg.stock_id:
            return True, f"Warehouse {stock.id} is “{stock.title}”."
    known = ", ".join(f"{s.id} (“{s.title}”)" for s in stocks) or "none"
    return False, (
        f"But the e-shop has no warehouse with ID {cfg.stock_id}; its warehouses are: {known}. "
        "Correct the warehouse (stock) ID in the settings."
    )


def _rights_details(probes: Mapping[str, ProbeResult]) -> dict[str, str]:
    return {key: ("read" if result.access == "granted" else result.access) for key, result in probes.items()}


def _token_refused(response: ShoptetResponse) -> CheckResult:
    codes = [e.error_code for e in response.errors]
    message = (
        "Shoptet refused the API token: it is invalid or has expired. Create a new private API token "
        "in the e-shop administration under Access to API and enter it here."
    )
    if "missing-access-token" in codes:
        message = "Shoptet did not receive the API token; a proxy on the way may be removing it."
    details = {"status": 401, "errorCodes": codes, "requestId": response.request_id}
    return CheckResult(ok=False, message=message, details=details)


def _remote_failure(api: ShoptetClient, cfg: ShoptetSettings, response: ShoptetResponse) -> CheckResult:
    details: dict[str, Any] = {"status": response.status, "requestId": response.request_id}
    remote = _remote_message(api, response).rstrip(".")
    if response.envelope is not None:
        details["errorCodes"] = [e.error_code for e in response.errors]
    if response.status == 429:
        retry = response.headers.get("retry-after")
        when = f" after {retry}" if retry else " in a minute"
        message = f"Shoptet is limiting requests for this token right now (HTTP 429); try again{when}."
    elif response.status == 503:
        message = f"Shoptet is under maintenance (HTTP 503): {remote}. Try again in a few minutes."
    elif response.envelope is None:
        message = (
            f"The address {cfg.api_url} answered with HTTP {response.status}, but not like the Shoptet API. "
            "Check the API address."
        )
    elif response.status == 404:
        message = (
            f"The address {cfg.api_url} has no Shoptet API (HTTP 404 for /api/eshop). Check the API address."
        )
    else:
        reference = f" (request ID {response.request_id})" if response.request_id else ""
        message = f"Shoptet answered with HTTP {response.status}: {remote}{reference}."
    return CheckResult(ok=False, message=message, details=details)


def _remote_message(api: ShoptetClient, response: ShoptetResponse) -> str:
    texts = [e.message for e in response.errors if e.message]
    return api.scrub(" ".join(texts)) if texts else "no error message"


def _join(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]
