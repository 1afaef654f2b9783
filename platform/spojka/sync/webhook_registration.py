"""Asking an e-shop to send its order webhooks to Spojka, when a link wants them.

A link with ``orders.webhooks`` on, over an e-shop whose connector declares ``orders.webhook``, has
the e-shop connection's hook URL registered at the e-shop (the connector also keeps the signature
key it obtains in the connection's sealed state, which intake verifies deliveries with). Runs in
the worker, after the link is created or changed; registering again is harmless. The outcome is
kept on the connection (apart from its last check), so the dashboard can say when webhooks are off.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass

from sqlalchemy import select

from spojka.connections.models import Connection
from spojka.connections.webhooks import webhook_url
from spojka.connector import ConnectorError, RetriableError
from spojka.connector.capabilities import ORDERS_WEBHOOK, ReceivesWebhooks
from spojka.db import utcnow
from spojka.links.flows import flows_from_document
from spojka.links.models import Link
from spojka.sync.connections import open_connection
from spojka.sync.runner import Engine

log = logging.getLogger(__name__)
LINK_NOT_FOUND = "The link no longer exists."


@dataclass(frozen=True, slots=True)
class Registration:
    """What registering did; ``refused_by`` names the e-shop connection when the e-shop said no."""

    message: str
    refused_by: Connection | None = None


async def register_link_webhooks(engine: Engine, tenant_id: uuid.UUID, link_id: uuid.UUID) -> Registration:
    """Register the link's e-shop webhooks; what was done, in words. A :class:`RetriableError`
    propagates (the job is tried again); any other connector error is kept on the connection."""
    async with engine.db.session(tenant_id=tenant_id) as session:
        link = await session.scalar(select(Link).where(Link.tenant_id == tenant_id, Link.id == link_id))
        if link is None:
            return Registration(LINK_NOT_FOUND)
        flows = flows_from_document(link.flows)
        if link.paused or not flows.orders.enabled or not flows.orders.webhooks:
            return Registration("The link does not use webhooks.")
        connection_id = link.eshop_connection_id
        url = await webhook_url(session, engine.secrets, engine.public_url, tenant_id, connection_id)
    if url is None:
        return Registration("The e-shop connection has no webhook address.")
    try:
        async with open_connection(
            engine.db,
            engine.registry,
            engine.secrets,
            tenant_id,
            connection_id,
            redis=engine.redis,
            webhook_url=url,
        ) as conn:
            if ORDERS_WEBHOOK not in conn.spec.capabilities or not isinstance(conn.session, ReceivesWebhooks):
                return Registration(f"{conn.spec.title} does not send webhooks; orders are polled.")
            await conn.session.register_webhooks(url)
            outcome = f"Webhooks registered: {conn.spec.title} reports new and changed orders at once."
    except RetriableError:
        raise
    except ConnectorError as exc:
        outcome = f"Webhooks could not be registered ({exc.message}); orders are polled meanwhile."
        connection = await _note(engine, tenant_id, connection_id, ok=False, message=outcome)
        log.warning("webhook registration failed for link %s: %s", link_id, exc.message)
        return Registration(outcome, refused_by=connection)
    await _note(engine, tenant_id, connection_id, ok=True, message=outcome)
    return Registration(outcome)


async def _note(
    engine: Engine, tenant_id: uuid.UUID, connection_id: uuid.UUID, *, ok: bool, message: str
) -> Connection | None:
    async with engine.db.session(tenant_id=tenant_id) as session:
        connection = await session.scalar(
            select(Connection).where(Connection.tenant_id == tenant_id, Connection.id == connection_id)
        )
        if connection is not None:
            connection.webhooks_at = utcnow()
            connection.webhooks_ok = ok
            connection.webhooks_message = message
        return connection
