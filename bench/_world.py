"""Setting up what the engine works on, directly through the models and services (no HTTP API).

Everything is written through the runtime database (row-level security on PostgreSQL), in
tenant-bound sessions, exactly as the application writes it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import insert, select

from spojka.connections.models import Connection
from spojka.connector.testing import MemoryBooks, MemoryShop
from spojka.db import Database
from spojka.links.flows import Flows, flows_to_document
from spojka.links.models import Link
from spojka.runs.models import Run
from spojka.runs.services import request_run
from spojka.tenants.models import Tenant
from spojka.tenants.services import create_tenant
from spojka.vault import SecretStore


@dataclass(frozen=True, slots=True)
class LinkRef:
    """A tenant's link, by ids."""

    tenant_id: uuid.UUID
    link_id: uuid.UUID


async def create_linked_tenant(
    db: Database, store: SecretStore, name: str, shop: MemoryShop, books: MemoryBooks, flows: Flows
) -> LinkRef:
    """A tenant with a ``memory-shop`` and a ``memory-books`` connection (credentials sealed in the
    vault) and a link between them with these flow settings."""
    async with db.session() as session:
        tenant = await create_tenant(session, name)
        shop_conn = Connection(
            tenant_id=tenant.id, connector="memory-shop", name=f"{name} shop", settings=shop.settings()
        )
        books_conn = Connection(
            tenant_id=tenant.id, connector="memory-books", name=f"{name} books", settings=books.settings()
        )
        session.add_all([shop_conn, books_conn])
        await session.flush()
        await store.put(session, tenant.id, shop_conn.id, shop.credentials())
        await store.put(session, tenant.id, books_conn.id, books.credentials())
        link = Link(
            tenant_id=tenant.id,
            name=f"{name} link",
            eshop_connection_id=shop_conn.id,
            accounting_connection_id=books_conn.id,
            flows=flows_to_document(flows),
        )
        session.add(link)
        await session.flush()
        return LinkRef(tenant.id, link.id)


async def queue_run(db: Database, ref: LinkRef, flow: str, trigger: str = "manual") -> uuid.UUID:
    """A queued run of ``flow`` on the link, as the API's manual-run route makes it."""
    async with db.session(tenant_id=ref.tenant_id) as session:
        run, _ = await request_run(session, ref.tenant_id, ref.link_id, flow, trigger)
        return run.id


async def load_run(db: Database, ref: LinkRef, run_id: uuid.UUID) -> Run:
    """The run as stored (status, counts, error)."""
    async with db.session(tenant_id=ref.tenant_id) as session:
        run = await session.scalar(select(Run).where(Run.tenant_id == ref.tenant_id, Run.id == run_id))
        if run is None:
            msg = f"run {run_id} is gone"
            raise RuntimeError(msg)
        session.expunge(run)
        return run


async def create_tenants_with_links(
    db: Database, tenants: int, links_per_tenant: int, flows: Flows
) -> list[LinkRef]:
    """Many tenants, each with an e-shop and an accounting connection and ``links_per_tenant``
    links between them: bulk Core inserts, one tenant-bound transaction per tenant."""
    document = flows_to_document(flows)
    refs: list[LinkRef] = []
    for number in range(tenants):
        tenant_id = uuid.uuid4()
        shop_id, books_id = uuid.uuid4(), uuid.uuid4()
        link_ids = [uuid.uuid4() for _ in range(links_per_tenant)]
        async with db.session(tenant_id=tenant_id) as session:
            await session.execute(insert(Tenant), [{"id": tenant_id, "name": f"Tenant {number:05d}"}])
            await session.execute(
                insert(Connection),
                [
                    {
                        "id": shop_id,
                        "tenant_id": tenant_id,
                        "connector": "memory-shop",
                        "name": "shop",
                        "settings": {"system": f"sched-shop-{number}"},
                    },
                    {
                        "id": books_id,
                        "tenant_id": tenant_id,
                        "connector": "memory-books",
                        "name": "books",
                        "settings": {"system": f"sched-books-{number}"},
                    },
                ],
            )
            await session.execute(
                insert(Link),
                [
                    {
                        "id": link_id,
                        "tenant_id": tenant_id,
                        "name": f"link {index:03d}",
                        "eshop_connection_id": shop_id,
                        "accounting_connection_id": books_id,
                        "flows": document,
                        "paused": False,
                    }
                    for index, link_id in enumerate(link_ids)
                ],
            )
        refs.extend(LinkRef(tenant_id, link_id) for link_id in link_ids)
    return refs
