"""Webhook intake: find the connection by its secret URL, let the connector verify the delivery,
drop repeats, and queue an ``orders`` run for every link that reads from that e-shop.

Intake does no remote call and no heavy work, so it answers in milliseconds; the worker reads the
changed orders through the normal incremental path, which is also why a webhook and the poll that
follows it write an order once.

A delivery for a suspended tenant is answered like any other (202), with nothing recorded and
nothing queued (``accepted`` and ``duplicates`` are both 0); see :func:`receive` for why.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from spojka.connections.models import WebhookEndpoint
from spojka.connections.webhooks import token_hash
from spojka.connector import AuthExpiredError, ConnectorError
from spojka.connector.capabilities import ORDERS_WEBHOOK, ReceivesWebhooks
from spojka.db import bind_principal, is_postgres
from spojka.links.flows import flows_from_document
from spojka.links.models import Link
from spojka.runs.services import request_run
from spojka.sync.connections import open_connection
from spojka.sync.models import WebhookDelivery
from spojka.sync.runner import Engine
from spojka.tenants.services import is_suspended


class UnknownEndpointError(Exception):
    """No connection listens at this address (or the token is wrong): answered 404."""


class BadSignatureError(Exception):
    """The delivery did not verify: answered 401, nothing queued."""


@dataclass(frozen=True, slots=True)
class Intake:
    tenant_id: uuid.UUID
    connection_id: uuid.UUID
    accepted: int
    duplicates: int
    #: (link id, flow) pairs that now have a queued run.
    queued: tuple[uuid.UUID, ...]


async def _resolve(session: AsyncSession, connection_id: uuid.UUID, token: str) -> uuid.UUID:
    digest = token_hash(token)
    if is_postgres(session):
        # Row-level security shows the endpoint only to a caller who binds its token's hash.
        await session.execute(text("SELECT set_config('app.hook_token_hash', :h, true)"), {"h": digest})
    tenant_id = await session.scalar(
        select(WebhookEndpoint.tenant_id).where(
            WebhookEndpoint.connection_id == connection_id, WebhookEndpoint.token_hash == digest
        )
    )
    if tenant_id is None:
        raise UnknownEndpointError
    return tenant_id


async def receive(
    engine: Engine, connection_id: uuid.UUID, token: str, headers: Mapping[str, str], body: bytes
) -> Intake:
    """Take one webhook delivery; the caller queues an ``orders`` job for each link in ``queued``.

    A suspended tenant's delivery is taken and dropped: the answer is the route's usual 202 with
    nothing accepted, nothing is recorded or queued, and the connection is not opened (its
    credentials are not decrypted and the connector is not asked anything). Why 202 and not
    404/410: Shoptet retries any answer but 2xx and, after repeated failures, may switch the
    webhook off, and a 404 or 410 tells it the endpoint is gone for good. A suspension is meant
    to be undone: on reactivation the webhooks must still be there, with nothing to re-register.
    What was dropped meanwhile is not lost: no cursor moved, so the first ``orders`` poll after
    reactivation (the scheduler queues it on its next tick) reads every order changed since.
    """
    async with engine.db.session() as session:
        tenant_id = await _resolve(session, connection_id, token)
        await bind_principal(session, tenant_id=tenant_id)
        if await is_suspended(session, tenant_id):
            return Intake(tenant_id, connection_id, accepted=0, duplicates=0, queued=())
    try:
        async with open_connection(
            engine.db, engine.registry, engine.secrets, tenant_id, connection_id
        ) as conn:
            if ORDERS_WEBHOOK not in conn.spec.capabilities or not isinstance(conn.session, ReceivesWebhooks):
                raise UnknownEndpointError
            events = await conn.session.verify_webhook(headers, body)
    except AuthExpiredError as exc:
        raise BadSignatureError(exc.message) from exc
    except ConnectorError as exc:
        raise BadSignatureError(exc.message) from exc
    accepted = duplicates = 0
    async with engine.db.session(tenant_id=tenant_id) as session:
        for event in events:
            try:
                async with session.begin_nested():
                    session.add(
                        WebhookDelivery(
                            tenant_id=tenant_id,
                            connection_id=connection_id,
                            dedup_key=event.dedup_key[:200],
                            event=event.event[:100],
                            object_id=event.object_id[:200],
                        )
                    )
                accepted += 1
            except IntegrityError:
                duplicates += 1
        queued: list[uuid.UUID] = []
        if accepted:
            await bind_principal(session, tenant_id=tenant_id)
            links = await session.scalars(
                select(Link).where(
                    Link.tenant_id == tenant_id,
                    Link.eshop_connection_id == connection_id,
                    Link.paused.is_(False),
                )
            )
            for link in links:
                flows = flows_from_document(link.flows)
                if flows.orders.enabled and flows.orders.webhooks:
                    await request_run(session, tenant_id, link.id, "orders", "webhook")
                    queued.append(link.id)
    return Intake(tenant_id, connection_id, accepted, duplicates, tuple(queued))
