"""Webhooks: registration at the platform's hook URL, the signature key, and verifying deliveries.

Shoptet signs a delivery with ``Shoptet-Webhook-Signature``: the lowercase hex HMAC-SHA1 of the raw
body under the e-shop's signature key, which only ``POST /api/webhooks/renew-signature-key`` reveals
(each call makes a new one). The key is kept in the connection's state; after a rotation the previous
key is still accepted for deliveries already on their way. ``order:mass*`` events name a JSON list
of order codes; each becomes its own event. Repeats share a dedup key of event, instance and time.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Final

import msgspec

from spojka.connector import AuthExpiredError, ConnectionState
from spojka.connector.capabilities import WebhookEvent
from spojka_connectors.shoptet import wire
from spojka_connectors.shoptet.client import ShoptetClient
from spojka_connectors.shoptet.dates import parse_shoptet

SIGNATURE_HEADER: Final = "shoptet-webhook-signature"
KEY_STATE: Final = "shoptet.webhookKey"
PREVIOUS_KEY_STATE: Final = "shoptet.webhookKey.previous"
#: ``order:update`` and ``order:cancel`` exclude each other; Spojka takes update (it covers cancels).
EVENTS: Final = ("order:create", "order:update", "order:paid")
MASS_PREFIX: Final = "order:mass"


def signature(key: str, body: bytes) -> str:
    return hmac.new(key.encode(), body, hashlib.sha1).hexdigest()


async def rotate_key(api: ShoptetClient, state: ConnectionState) -> None:
    """A new signature key from Shoptet, kept in the state; the old one stays valid as the previous."""
    response = await api.call("POST", "/api/webhooks/renew-signature-key")
    key = str((response.data or {}).get("signatureKey", ""))
    if not key:
        raise AuthExpiredError("Shoptet gave no webhook signature key; try registering webhooks again.")
    async with state.lock(KEY_STATE):
        await state.set(PREVIOUS_KEY_STATE, await state.get(KEY_STATE))
        await state.set(KEY_STATE, key)


async def register(api: ShoptetClient, state: ConnectionState, url: str) -> None:
    """Make Shoptet post the order events to ``url`` (once per event; repeating it changes nothing)."""
    if await state.get(KEY_STATE) is None:
        await rotate_key(api, state)
    existing: dict[str, wire.Webhook] = {}
    number = 1
    while True:
        response = await api.call("GET", "/api/webhooks", params={"page": number})
        page = msgspec.convert(response.data, wire.WebhooksPage)
        existing.update({w.event: w for w in page.webhooks})
        if page.paginator is None or number >= page.paginator.page_count:
            break
        number += 1
    wanted = []
    for event in EVENTS:
        hook = existing.get(event)
        if hook is not None and hook.url == url:
            continue
        if hook is not None:
            # One URL per event: the link's URL replaces an old one (a re-created link, a moved platform).
            await api.call("DELETE", f"/api/webhooks/{hook.id}")
        wanted.append({"event": event, "url": url})
    if "order:cancel" in existing and "order:update" not in existing:
        await api.call("DELETE", f"/api/webhooks/{existing['order:cancel'].id}")
    if wanted:
        await api.call("POST", "/api/webhooks", body=wanted, ok=(201,))


async def verify(state: ConnectionState, headers: Mapping[str, str], body: bytes) -> list[WebhookEvent]:
    """The events of a genuine delivery; :class:`AuthExpiredError` (answered 401) for any other."""
    given = next((v for k, v in headers.items() if k.lower() == SIGNATURE_HEADER), "").strip().lower()
    keys = [k for k in (await state.get(KEY_STATE), await state.get(PREVIOUS_KEY_STATE)) if k]
    # Every key is compared, in constant time, whatever the first comparison said.
    matches = [hmac.compare_digest(signature(key, body), given) for key in keys]
    if not given or not any(matches):
        raise AuthExpiredError("The webhook's signature does not match the e-shop's signature key.")
    try:
        delivery = msgspec.json.decode(body, type=wire.Delivery)
    except (msgspec.DecodeError, msgspec.ValidationError):
        raise AuthExpiredError("The webhook's body is not a Shoptet delivery.") from None
    occurred = parse_shoptet(delivery.eventCreated) if delivery.eventCreated else None
    instances = [delivery.eventInstance]
    if delivery.event.startswith(MASS_PREFIX):
        try:
            listed = json.loads(delivery.eventInstance)
        except ValueError:
            listed = None
        instances = [str(x) for x in listed] if isinstance(listed, list) else instances
    return [
        WebhookEvent(
            event=delivery.event,
            object_id=instance,
            dedup_key=f"shoptet:{delivery.event}:{instance}:{delivery.eventCreated or ''}",
            occurred_at=occurred,
        )
        for instance in instances
    ]
