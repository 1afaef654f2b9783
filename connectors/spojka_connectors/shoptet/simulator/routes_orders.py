"""Orders: the list with its filters, the changes log, the detail, statuses, status and notes changes."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

from litestar import Response, get, patch
from litestar.params import FromPath
from litestar.types import ControllerRouterHandler

from spojka_connectors.shoptet.dates import format_shoptet, parse_shoptet
from spojka_connectors.shoptet.simulator.auth import authorize
from spojka_connectors.shoptet.simulator.protocol import AnyRequest, envelope, error, invalid, json_body, page
from spojka_connectors.shoptet.simulator.render import order_detail, order_summary
from spojka_connectors.shoptet.simulator.state import State

TRACKING_MAX: Final = 32


class _BadQueryError(ValueError):
    pass


def _time(request: AnyRequest, name: str) -> datetime | None:
    raw = request.query_params.get(name)
    if raw is None:
        return None
    try:
        return parse_shoptet(raw)
    except ValueError:
        # The usual mistake: a raw "+" in the query string arrives as a space.
        raise _BadQueryError(f"Parameter {name} must be a date-time like 2024-01-08T10:00:00+0100.") from None


def _flag(request: AnyRequest, name: str) -> bool:
    return request.query_params.get(name, "false").lower() in ("true", "1")


def routes(state: State) -> list[ControllerRouterHandler]:  # noqa: PLR0915 (one closure per route)
    """The order routes over ``state``."""

    @get("/api/orders", sync_to_thread=False)
    def list_orders(request: AnyRequest) -> Response[bytes]:
        if (refused := authorize(request, state, "orders")) is not None:
            return refused
        try:
            bounds = {
                n: _time(request, n)
                for n in ("changeTimeFrom", "changeTimeTo", "creationTimeFrom", "creationTimeTo")
            }
        except _BadQueryError as exc:
            return invalid(str(exc), "query")
        codes = request.query_params.get("orderCodes")
        status = request.query_params.get("statusId")
        orders = [o for o in state.orders.values() if not o.deleted]
        if codes:
            wanted = set(codes.split(","))
            orders = [o for o in orders if o.code in wanted]
        else:
            for name, attribute, lower in (
                ("changeTimeFrom", "change_time", True),
                ("changeTimeTo", "change_time", False),
                ("creationTimeFrom", "creation_time", True),
                ("creationTimeTo", "creation_time", False),
            ):
                bound = bounds[name]
                if bound is not None:
                    orders = [
                        o
                        for o in orders
                        if (getattr(o, attribute) >= bound if lower else getattr(o, attribute) <= bound)
                    ]
            if status is not None:
                orders = [o for o in orders if str(o.status_id) == status]
        # Newest first, as the administration lists them: a client must not rely on change order.
        orders.sort(key=lambda o: o.code, reverse=True)
        items = [order_summary(state, o) for o in orders]
        return envelope(200, page(request, "orders", items, state.orders_per_page))

    @get("/api/orders/changes", sync_to_thread=False)
    def order_changes(request: AnyRequest) -> Response[bytes]:
        if (refused := authorize(request, state, "orders")) is not None:
            return refused
        try:
            since = _time(request, "from")
        except _BadQueryError as exc:
            return invalid(str(exc), "query")
        if since is None:
            return invalid("Parameter from is required.", "query")
        change_type = request.query_params.get("changeType")
        rows: list[dict[str, Any]] = []
        for order in sorted(state.orders.values(), key=lambda o: (o.change_time, o.code)):
            if order.change_time < since:
                continue
            kind = "delete" if order.deleted else "edit"
            if change_type and kind != change_type:
                continue
            rows.append(
                {"code": order.code, "changeTime": format_shoptet(order.change_time), "changeType": kind}
            )
        return envelope(200, page(request, "changes", rows, state.changes_per_page))

    @get("/api/orders/statuses", sync_to_thread=False)
    def order_statuses(request: AnyRequest) -> Response[bytes]:
        if (refused := authorize(request, state, "orders")) is not None:
            return refused
        statuses = [
            {
                "id": sid,
                "name": name,
                "system": sid < 0,
                "order": index,
                "markAsPaid": paid,
                "color": None,
                "backgroundColor": None,
                "changeOrderItems": sid == state.default_status_id,
                "stockClaimResolved": False,
                "documents": {
                    "generateProformaInvoice": False,
                    "generateInvoice": False,
                    "generateDeliveryNote": False,
                    "generateProofPayment": None,
                },
            }
            for index, (sid, name, paid) in enumerate(state.statuses, start=1)
        ]
        return envelope(200, {"defaultStatus": state.default_status_id, "statuses": statuses})

    @get("/api/orders/{code:str}", sync_to_thread=False)
    def order_detail_route(request: AnyRequest, code: FromPath[str]) -> Response[bytes]:
        if (refused := authorize(request, state, "orders")) is not None:
            return refused
        order = state.orders.get(code)
        if order is None or order.deleted:
            return error(404, "order-not-found", f'Order "{code}" not found.', "code")
        include = set(filter(None, request.query_params.get("include", "").split(",")))
        return envelope(200, {"order": order_detail(state, order, include)})

    @patch("/api/orders/{code:str}/status")
    async def change_status(request: AnyRequest, code: FromPath[str]) -> Response[bytes]:
        if (refused := authorize(request, state, "orders")) is not None:
            return refused
        order = state.orders.get(code)
        if order is None or order.deleted:
            return error(404, "order-not-found", f'Order "{code}" not found.', "code")
        body = await json_body(request)
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, dict) or not data or set(data) - {"statusId", "paid", "billingMethodId"}:
            return invalid("Request data must name statusId, paid or billingMethodId.")
        status_id = data.get("statusId")
        if status_id is not None and (not isinstance(status_id, int) or state.status_name(status_id) is None):
            return invalid(f"Order status {status_id!r} does not exist.", "data.statusId")
        paid = data.get("paid")
        unchanged = (status_id is None or status_id == order.status_id) and (
            paid is None or paid == order.paid
        )
        if not unchanged:
            state.change_order(code, status_id=status_id, paid=paid)
            state.notifications.append(
                (code, not _flag(request, "suppressEmailSending"), not _flag(request, "suppressSmsSending"))
            )
        return envelope(200, {"order": order_detail(state, order, set())})

    @patch("/api/orders/{code:str}/notes")
    async def change_notes(request: AnyRequest, code: FromPath[str]) -> Response[bytes]:
        if (refused := authorize(request, state, "orders")) is not None:
            return refused
        order = state.orders.get(code)
        if order is None or order.deleted:
            return error(404, "order-not-found", f'Order "{code}" not found.', "code")
        body = await json_body(request)
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, dict) or set(data) - {
            "customerRemark",
            "trackingNumber",
            "additionalFields",
            "eshopRemark",
        }:
            return invalid("Request data do not match the schema.")
        tracking = data.get("trackingNumber", order.tracking_number)
        if tracking is not None and (not isinstance(tracking, str) or len(tracking) > TRACKING_MAX):
            return invalid(
                f"trackingNumber may have at most {TRACKING_MAX} characters.", "data.trackingNumber"
            )
        if "trackingNumber" in data and tracking != order.tracking_number:
            state.change_order(code, tracking_number=tracking)
        if "eshopRemark" in data:
            order.eshop_remark = data["eshopRemark"]
        return envelope(200, None)

    return [list_orders, order_changes, order_statuses, order_detail_route, change_status, change_notes]
