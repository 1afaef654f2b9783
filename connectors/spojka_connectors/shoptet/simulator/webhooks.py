"""Webhook deliveries: the body Shoptet posts and its ``Shoptet-Webhook-Signature``.

The signature is the lowercase hex HMAC-SHA1 of the raw body under the e-shop's signature key (which
``POST /api/webhooks/renew-signature-key`` makes). ``order:mass*`` events carry a JSON list of codes
as their instance.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Final

import httpx

from spojka_connectors.shoptet.dates import format_shoptet
from spojka_connectors.shoptet.simulator.state import State

SIGNATURE_HEADER: Final = "Shoptet-Webhook-Signature"


def sign(key: str, body: bytes) -> str:
    return hmac.new(key.encode(), body, hashlib.sha1).hexdigest()


def delivery(state: State, event: str, instance: str | list[str]) -> tuple[dict[str, str], bytes]:
    """The headers and raw body Shoptet would post for ``event`` about ``instance``.

    A list of codes makes an ``order:mass*`` delivery (its instance is the JSON-serialised list).
    """
    if state.signature_key is None:
        msg = "the e-shop has no signature key yet (POST /api/webhooks/renew-signature-key)"
        raise ValueError(msg)
    payload = {
        "eshopId": state.eshop_id,
        "event": event,
        "eventCreated": format_shoptet(state.now()),
        "eventInstance": instance if isinstance(instance, str) else json.dumps(instance),
    }
    body = json.dumps(payload).encode()
    headers = {"Content-Type": "application/json", SIGNATURE_HEADER: sign(state.signature_key, body)}
    return headers, body


async def deliver_pending(state: State, *, wait_seconds: float = 4.0) -> int:
    """Post every queued event to the URL registered for it; the number of deliveries made.

    Shoptet gives a receiver 4 seconds; a failure is recorded in :attr:`State.deliveries` (Shoptet
    would try again after 15 minutes, which the simulator leaves to the test).
    """
    pending, state.outbox = state.outbox, []
    urls = {w.event: w.url for w in state.webhooks.values()}
    sent = 0
    async with httpx.AsyncClient(timeout=wait_seconds) as client:
        for event, instance in pending:
            url = urls.get(event)
            if url is None or state.signature_key is None:
                continue
            headers, body = delivery(state, event, instance)
            try:
                response = await client.post(url, content=body, headers=headers)
                outcome = str(response.status_code)
            except httpx.HTTPError as exc:
                outcome = type(exc).__name__
            state.deliveries.append((url, headers, body, outcome))
            sent += 1
    return sent
