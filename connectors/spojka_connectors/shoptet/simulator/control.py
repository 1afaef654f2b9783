"""The simulator's own control API, under ``/_sim`` (never part of Shoptet's API).

Tests may call the :class:`State` methods directly; the demo and other processes use these routes:

- ``GET /_sim/state``: counts, webhooks, pending events
- ``POST /_sim/orders`` ``{"lines": [{"code", "amount"}], "paid"}``: place an order
- ``PATCH /_sim/orders/{code}`` ``{"statusId", "paid"}``: change one
- ``PUT /_sim/stock/{code}`` ``{"realStock"}``: set a stock level
- ``POST /_sim/faults`` ``{"kind": latency|status|drop|storm, "count", "pathPrefix", "seconds", "status"}``
- ``POST /_sim/limits`` ``{"enabled", "timeScale", "bucketLevel"}``
- ``POST /_sim/install``: an add-on install code; with ``{"installUrl"}`` the merchant installs the
  add-on and the simulator calls that URL with the code, as Shoptet does (200 within 5 s or failed)
- ``POST /_sim/uninstall``: the merchant removes the add-on; ``POST /_sim/tokens/expire``: expire
  access tokens

Changes to orders deliver their webhooks before the answer.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Final

import msgspec
from litestar import Response, get, patch, post, put
from litestar.params import FromPath
from litestar.types import ControllerRouterHandler

from spojka_connectors.shoptet.simulator.limits import Bucket
from spojka_connectors.shoptet.simulator.oauth import call_install_url
from spojka_connectors.shoptet.simulator.protocol import AnyRequest, json_body
from spojka_connectors.shoptet.simulator.state import Fault, State
from spojka_connectors.shoptet.simulator.webhooks import deliver_pending

PREFIX: Final = "/_sim"


def _json(status: int, body: Any) -> Response[bytes]:
    return Response(content=msgspec.json.encode(body), status_code=status, media_type="application/json")


async def _body(request: AnyRequest) -> dict[str, Any]:
    body = await json_body(request)
    return body if isinstance(body, dict) else {}


def routes(state: State, bucket: Bucket) -> list[ControllerRouterHandler]:
    """The control routes over ``state`` and its ``bucket``."""

    @get(f"{PREFIX}/state", sync_to_thread=False)
    def show(request: AnyRequest) -> Response[bytes]:
        return _json(200, {**state.snapshot(), "bucket": bucket.header()})

    @post(f"{PREFIX}/orders")
    async def place(request: AnyRequest) -> Response[bytes]:
        body = await _body(request)
        lines = [(str(x["code"]), Decimal(str(x.get("amount", 1)))) for x in body.get("lines", [])] or None
        try:
            order = state.add_order(lines, paid=bool(body.get("paid", False)))
        except (KeyError, ValueError) as exc:
            return _json(422, {"error": f"cannot place the order: {exc}"})
        delivered = await deliver_pending(state)
        return _json(201, {"code": order.code, "webhooksDelivered": delivered})

    @patch(f"{PREFIX}/orders/{{code:str}}")
    async def change(request: AnyRequest, code: FromPath[str]) -> Response[bytes]:
        body = await _body(request)
        if code not in state.orders:
            return _json(404, {"error": f"no order {code}"})
        state.change_order(code, status_id=body.get("statusId"), paid=body.get("paid"))
        delivered = await deliver_pending(state)
        return _json(200, {"code": code, "webhooksDelivered": delivered})

    @put(f"{PREFIX}/stock/{{code:str}}")
    async def set_stock(request: AnyRequest, code: FromPath[str]) -> Response[bytes]:
        body = await _body(request)
        try:
            state.set_stock(code, Decimal(str(body["realStock"])))
        except KeyError:
            return _json(404, {"error": f"no product or variant {code}"})
        return _json(200, {"code": code})

    @post(f"{PREFIX}/faults")
    async def fault(request: AnyRequest) -> Response[bytes]:
        body = await _body(request)
        try:
            injected = Fault(
                kind=body["kind"],
                count=int(body.get("count", 1)),
                path_prefix=str(body.get("pathPrefix", "/api/")),
                seconds=float(body.get("seconds", 0)),
                status=int(body.get("status", 500)),
            )
        except (KeyError, ValueError) as exc:
            return _json(422, {"error": f"bad fault: {exc}"})
        if injected.kind not in ("latency", "status", "drop", "storm"):
            return _json(422, {"error": "kind must be latency, status, drop or storm"})
        state.inject(injected)
        return _json(201, {"injected": injected.kind})

    @post(f"{PREFIX}/limits")
    async def limits(request: AnyRequest) -> Response[bytes]:
        body = await _body(request)
        if "enabled" in body:
            state.limits_enabled = bool(body["enabled"])
        if "timeScale" in body:
            state.time_scale = float(body["timeScale"])
        if "bucketLevel" in body:
            bucket.fill(float(body["bucketLevel"]))
        return _json(200, {"enabled": state.limits_enabled, "timeScale": state.time_scale})

    @post(f"{PREFIX}/install")
    async def install(request: AnyRequest) -> Response[bytes]:
        install_url = (await _body(request)).get("installUrl")
        if install_url is None:
            return _json(201, {"code": state.install_code()})
        if not isinstance(install_url, str) or not install_url.startswith(("http://", "https://")):
            return _json(422, {"error": "installUrl must be an http(s) URL"})
        attempt = await call_install_url(state, install_url)
        return _json(
            200,
            {
                "installed": attempt.installed,
                "status": attempt.status,
                "seconds": round(attempt.seconds, 3),
                "answer": attempt.answer,
            },
        )

    @post(f"{PREFIX}/uninstall")
    async def uninstall(request: AnyRequest) -> Response[bytes]:
        state.uninstall()
        return _json(200, {"installed": False})

    @post(f"{PREFIX}/tokens/expire")
    async def expire(request: AnyRequest) -> Response[bytes]:
        state.expire_access_tokens()
        return _json(200, {"expired": True})

    return [show, place, change, set_stock, fault, limits, install, uninstall, expire]
