"""Webhooks: list, register (one URL per event), delete, and the signature key."""

from __future__ import annotations

import secrets
from typing import Any, Final

from litestar import Response, delete, get, post
from litestar.params import FromPath
from litestar.types import ControllerRouterHandler

from spojka_connectors.shoptet.dates import format_shoptet
from spojka_connectors.shoptet.simulator.auth import authorize
from spojka_connectors.shoptet.simulator.protocol import AnyRequest, envelope, error, invalid, json_body, page
from spojka_connectors.shoptet.simulator.state import SimWebhook, State

MAX_PER_CALL: Final = 50
#: Pairs that cannot both be registered (409).
EXCLUSIVE: Final = {"order:update": "order:cancel", "order:cancel": "order:update"}


def _render(webhook: SimWebhook) -> dict[str, Any]:
    created = format_shoptet(webhook.created)
    return {
        "id": webhook.id,
        "event": webhook.event,
        "url": webhook.url,
        "created": created,
        "updated": created,
        "sendPayload": None,
    }


def routes(state: State) -> list[ControllerRouterHandler]:
    """The webhook routes over ``state``."""

    @get("/api/webhooks", sync_to_thread=False)
    def list_webhooks(request: AnyRequest) -> Response[bytes]:
        if (refused := authorize(request, state, "webhooks")) is not None:
            return refused
        items = [_render(w) for w in state.webhooks.values()]
        return envelope(200, page(request, "webhooks", items, 50))

    @post("/api/webhooks")
    async def register(request: AnyRequest) -> Response[bytes]:
        if (refused := authorize(request, state, "webhooks")) is not None:
            return refused
        body = await json_body(request)
        rows = body.get("data") if isinstance(body, dict) else None
        if not isinstance(rows, list) or not rows or len(rows) > MAX_PER_CALL:
            return invalid(f"Request data must be a list of 1 to {MAX_PER_CALL} webhooks.")
        registered = {w.event for w in state.webhooks.values()}
        for index, row in enumerate(rows):
            if (
                not isinstance(row, dict)
                or not isinstance(row.get("event"), str)
                or not isinstance(row.get("url"), str)
            ):
                return invalid("Each webhook needs an event and a url.", f"data[{index}]")
            if row["event"] in registered:
                return invalid("Webhook already exists for this event.", f"data[{index}].event")
            if EXCLUSIVE.get(row["event"]) in registered:
                return error(
                    409, "conflict", f"{row['event']} cannot be registered next to {EXCLUSIVE[row['event']]}."
                )
        made = []
        for row in rows:
            webhook = SimWebhook(state.next_id(), row["event"], row["url"], state.stamp())
            state.webhooks[webhook.id] = webhook
            made.append(_render(webhook))
        return envelope(201, {"webhooks": made})

    @delete("/api/webhooks/{webhook_id:int}", status_code=200)
    async def remove(request: AnyRequest, webhook_id: FromPath[int]) -> Response[bytes]:
        if (refused := authorize(request, state, "webhooks")) is not None:
            return refused
        if state.webhooks.pop(webhook_id, None) is None:
            return error(404, "webhook-not-found", f"Webhook {webhook_id} does not exist.", "id")
        return envelope(200, None)

    @post("/api/webhooks/renew-signature-key", status_code=200)
    async def renew_key(request: AnyRequest) -> Response[bytes]:
        if (refused := authorize(request, state, "webhooks")) is not None:
            return refused
        state.signature_key = secrets.token_hex(16)
        return envelope(200, {"signatureKey": state.signature_key})

    return [list_webhooks, register, remove, renew_key]
