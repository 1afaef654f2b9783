"""Outbound event notifications: ``run.failed``, ``run.recovered``, ``connection.needs_attention``.

An event about a tenant goes to the tenant's own endpoints and to those of the partner that
manages it. Each (event, endpoint) pair is a row of ``event_deliveries``: the outbox the worker
drains and the delivery log callers read. A delivery is an HTTP POST of the JSON body with:

- ``Spojka-Event``: the event type; ``Spojka-Delivery``: the delivery id (retries keep it, so a
  receiver can deduplicate by it, or by the body's ``id``, which is the same for every endpoint);
- ``Spojka-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`` under the
  endpoint's signing secret. Receivers recompute it over the raw body and refuse a ``t`` older
  than five minutes (replay).

Anything but a 2xx answer is retried with growing delays (``RETRY_DELAYS``); after the last one the
delivery is marked ``failed``. Signing secrets are sealed with the vault's key ring, bound to the
endpoint's id; they are shown once, when the endpoint is registered.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from spojka.db import Database, bind_principal, utcnow
from spojka.partners.models import EventDelivery, EventEndpoint, PartnerTenant
from spojka.partners.rls import bind_partner
from spojka.vault import KeyRing

log = logging.getLogger(__name__)

EVENT_TYPES = ("run.failed", "run.recovered", "connection.needs_attention")
#: Delays before the 2nd, 3rd, ... attempt (seconds): about a day in all.
RETRY_DELAYS = (10, 60, 300, 1800, 7200, 21600, 43200)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
TIMEOUT_SECONDS = 10.0
SIGNATURE_TOLERANCE_SECONDS = 300
DELIVER_EVENT_JOB = "deliver_event"


@dataclass(frozen=True, slots=True)
class Owner:
    """Who an endpoint (and its delivery log) belongs to: a tenant or a partner, never both."""

    tenant_id: uuid.UUID | None = None
    partner_id: uuid.UUID | None = None


def _aad(endpoint_id: uuid.UUID) -> bytes:
    return f"event-endpoint|{endpoint_id}".encode()


def sign(secret: str, body: bytes, timestamp: int) -> str:
    """The ``Spojka-Signature`` header value for ``body`` sent at ``timestamp``."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify_signature(secret: str, body: bytes, header: str, *, now: float | None = None) -> bool:
    """What a receiver does (and what the docs show): recompute, compare in constant time, and
    refuse a timestamp outside the tolerance."""
    parts = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs((now if now is not None else time.time()) - timestamp) > SIGNATURE_TOLERANCE_SECONDS:
        return False
    expected = sign(secret, body, timestamp).split("v1=", 1)[1]
    return hmac.compare_digest(expected, parts.get("v1", ""))


# -- endpoints --------------------------------------------------------------------------------


def _owner_filter(owner: Owner) -> Any:
    if owner.partner_id is not None:
        return (EventEndpoint.partner_id == owner.partner_id) & EventEndpoint.tenant_id.is_(None)
    return EventEndpoint.tenant_id == owner.tenant_id


async def create_endpoint(
    session: AsyncSession, ring: KeyRing, owner: Owner, url: str, events: list[str]
) -> tuple[EventEndpoint, str]:
    """Register an endpoint; returns it and its signing secret (shown once)."""
    secret = "whsec_" + secrets.token_urlsafe(32)
    endpoint_id = uuid.uuid4()
    endpoint = EventEndpoint(
        id=endpoint_id,
        tenant_id=owner.tenant_id,
        partner_id=owner.partner_id,
        url=url,
        events=" ".join(sorted(set(events))),
        sealed_secret=ring.seal(secret, _aad(endpoint_id)),
    )
    session.add(endpoint)
    await session.flush()
    return endpoint, secret


async def list_endpoints(session: AsyncSession, owner: Owner) -> list[EventEndpoint]:
    rows = await session.scalars(
        select(EventEndpoint).where(_owner_filter(owner)).order_by(EventEndpoint.created_at, EventEndpoint.id)
    )
    return list(rows)


async def get_endpoint(session: AsyncSession, owner: Owner, endpoint_id: uuid.UUID) -> EventEndpoint | None:
    return await session.scalar(
        select(EventEndpoint).where(_owner_filter(owner), EventEndpoint.id == endpoint_id)
    )


async def list_deliveries(
    session: AsyncSession, owner: Owner, *, limit: int, offset: int
) -> tuple[list[EventDelivery], int]:
    endpoint_ids = select(EventEndpoint.id).where(_owner_filter(owner))
    where = EventDelivery.endpoint_id.in_(endpoint_ids)
    total = await session.scalar(select(func.count()).select_from(EventDelivery).where(where)) or 0
    rows = await session.scalars(
        select(EventDelivery)
        .where(where)
        .order_by(EventDelivery.created_at.desc(), EventDelivery.id)
        .limit(limit)
        .offset(offset)
    )
    return list(rows), total


# -- emitting ---------------------------------------------------------------------------------


async def emit(
    db: Database, tenant_id: uuid.UUID, event_type: str, data: dict[str, Any]
) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """Queue ``event_type`` about ``tenant_id`` for every endpoint that wants it (the tenant's own and
    its partner's). Returns ``(delivery id, tenant id)`` pairs to hand to ``deliver``."""
    event_id = uuid.uuid4()
    body = {
        "id": str(event_id),
        "type": event_type,
        "createdAt": utcnow().isoformat(),
        "tenantId": str(tenant_id),
        "data": data,
    }
    payload = json.dumps(body, separators=(",", ":"), sort_keys=True)
    made: list[tuple[uuid.UUID, uuid.UUID]] = []
    async with db.session(tenant_id=tenant_id) as session:
        partner_id = await session.scalar(
            select(PartnerTenant.partner_id).where(PartnerTenant.tenant_id == tenant_id)
        )
        owners = [EventEndpoint.tenant_id == tenant_id]
        if partner_id is not None:
            await bind_partner(session, partner_id)
            owners.append((EventEndpoint.partner_id == partner_id) & EventEndpoint.tenant_id.is_(None))
        endpoints = await session.scalars(select(EventEndpoint).where(or_(*owners)))
        for endpoint in endpoints:
            if event_type not in endpoint.events.split():
                continue
            delivery = EventDelivery(
                id=uuid.uuid4(),
                endpoint_id=endpoint.id,
                tenant_id=tenant_id,
                partner_id=endpoint.partner_id,
                event_id=event_id,
                event_type=event_type,
                payload=payload,
                next_attempt_at=utcnow(),
            )
            session.add(delivery)
            made.append((delivery.id, tenant_id))
    return made


# -- delivering -------------------------------------------------------------------------------


def _due_by(delivery: EventDelivery, due_by: datetime | None) -> bool:
    if due_by is None:
        return True
    return delivery.next_attempt_at is not None and delivery.next_attempt_at <= due_by


async def deliver(
    db: Database,
    ring: KeyRing,
    delivery_id: uuid.UUID,
    tenant_id: uuid.UUID,
    *,
    client: httpx.AsyncClient,
    due_by: datetime | None = None,
) -> float | None:
    """One attempt. Returns the seconds to wait before the next attempt, or None when done
    (delivered, given up, or nothing to do).

    ``due_by`` (from the sweep of lost deliveries) makes the attempt conditional: only a delivery
    whose next attempt was due by then is sent. One the sweep saw overdue but that was attempted
    since (and now waits for a later retry) is left to its own schedule.
    """
    async with db.session(tenant_id=tenant_id) as session:
        delivery = await session.scalar(
            select(EventDelivery).where(EventDelivery.id == delivery_id, EventDelivery.tenant_id == tenant_id)
        )
        if delivery is None or delivery.status != "pending" or not _due_by(delivery, due_by):
            return None
        if delivery.partner_id is not None:
            # A partner's endpoint has no tenant: row-level security shows it with the partner bound.
            await bind_partner(session, delivery.partner_id)
        endpoint = await session.get(EventEndpoint, delivery.endpoint_id)
        if endpoint is None:
            return None
        url, payload, event_type = endpoint.url, delivery.payload, delivery.event_type
        secret = ring.open(endpoint.sealed_secret, _aad(endpoint.id))
    body = payload.encode()
    status_code: int | None = None
    error: str | None = None
    try:
        response = await client.post(
            url,
            content=body,
            headers={
                "Content-Type": "application/json",
                "User-Agent": "Spojka-Events/1",
                "Spojka-Event": event_type,
                "Spojka-Delivery": str(delivery_id),
                "Spojka-Signature": sign(secret, body, int(time.time())),
            },
            timeout=TIMEOUT_SECONDS,
            follow_redirects=False,
        )
        status_code = response.status_code
        if not 200 <= status_code < 300:
            error = f"The endpoint answered {status_code}."
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        error = f"The endpoint could not be reached: {type(exc).__name__}."
    async with db.session(tenant_id=tenant_id) as session:
        await bind_principal(session, tenant_id=tenant_id)
        delivery_row = await session.get(EventDelivery, delivery_id)
        if delivery_row is None:
            return None
        delivery_row.attempts += 1
        delivery_row.last_status_code = status_code
        delivery_row.last_error = error
        if error is None:
            delivery_row.status = "delivered"
            delivery_row.delivered_at = utcnow()
            delivery_row.next_attempt_at = None
            return None
        if delivery_row.attempts >= MAX_ATTEMPTS:
            delivery_row.status = "failed"
            delivery_row.next_attempt_at = None
            log.warning("event delivery %s given up after %d attempts", delivery_id, delivery_row.attempts)
            return None
        delay = float(RETRY_DELAYS[delivery_row.attempts - 1])
        delivery_row.next_attempt_at = utcnow() + timedelta(seconds=delay)
        return delay
