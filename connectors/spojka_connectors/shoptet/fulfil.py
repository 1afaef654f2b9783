"""Fulfilment: the order's status changes to the fulfilled status (the link's choice, else the
connection's) or the cancelled one, and the tracking number goes to the order's notes.

Shoptet keeps at most 32 characters of a tracking number; a longer one is that order's failed result,
never cut short (a cut number finds no parcel). The status change carries the link's suppression
options for e-mail, SMS and documents. A repeat with nothing to change answers ``unchanged``.
"""

from __future__ import annotations

from typing import Final
from urllib.parse import quote

import msgspec

from spojka.connector.capabilities import WriteResult
from spojka.connector.model import Fulfilment
from spojka_connectors.shoptet import wire
from spojka_connectors.shoptet.client import ShoptetClient
from spojka_connectors.shoptet.spec import ShoptetSettings

TRACKING_MAX: Final = 32


def _flag(value: bool) -> str:
    return "true" if value else "false"


def _status_id(settings: ShoptetSettings, fulfilment: Fulfilment) -> int | None:
    """The Shoptet status id to set: the connection's cancelled or fulfilled one, or the link's
    choice (a status option value: the id as text, or the name ``statusMapping`` gives it)."""
    if fulfilment.status == "cancelled":
        return settings.cancelled_status_id
    wanted = fulfilment.eshop_status
    if not wanted:
        return settings.fulfilled_status_id
    named = [int(key) for key, name in settings.status_mapping.items() if name == wanted]
    if named:
        # Several ids may share a name: the connection's own fulfilled status if it is one of them.
        return settings.fulfilled_status_id if settings.fulfilled_status_id in named else named[0]
    try:
        return int(wanted)
    except ValueError:
        return None


async def fulfil(
    api: ShoptetClient, settings: ShoptetSettings, code: str, fulfilment: Fulfilment
) -> WriteResult:
    """Mark order ``code`` done (or cancelled) with its tracking number."""
    tracking = fulfilment.tracking_number.strip()
    if len(tracking) > TRACKING_MAX:
        return WriteResult(
            key=code,
            outcome="failed",
            message=(
                f"The tracking number {tracking!r} has {len(tracking)} characters; Shoptet keeps at most "
                f"{TRACKING_MAX}. Correct it in accounting."
            ),
        )
    path = f"/api/orders/{quote(code, safe='')}"
    response = await api.call("GET", path, params={"include": "notes"}, ok=(200, 404))
    if response.status == 404:
        return WriteResult(key=code, outcome="missing", message=f"The e-shop has no order {code}.")
    order = msgspec.convert(response.data, wire.OrderEnvelope).order
    status = _status_id(settings, fulfilment)
    if status is None:
        return WriteResult(
            key=code,
            outcome="failed",
            message=(
                f"The e-shop has no order status {fulfilment.eshop_status!r} (the link's status of a "
                "fulfilled order). Choose one of the e-shop's statuses in the link's settings."
            ),
        )
    current_tracking = order.notes.tracking_number if order.notes else None
    changed = False
    # The number goes in first, so that a status e-mail the merchant lets Shoptet send can quote it.
    if tracking and tracking != (current_tracking or ""):
        await api.call("PATCH", f"{path}/notes", body={"trackingNumber": tracking})
        changed = True
    if order.status is None or order.status.id != status:
        params = {
            "suppressEmailSending": _flag(settings.suppress_email),
            "suppressSmsSending": _flag(settings.suppress_sms),
            "suppressDocumentGeneration": _flag(settings.suppress_documents),
        }
        await api.call("PATCH", f"{path}/status", params=params, body={"statusId": status})
        changed = True
    return WriteResult(key=code, outcome="updated" if changed else "unchanged", target_id=code)
