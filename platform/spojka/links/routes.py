"""``/api/v1/links``."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Request, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_201_CREATED, HTTP_204_NO_CONTENT
from sqlalchemy.ext.asyncio import AsyncSession

from spojka.auth.principal import Principal
from spojka.http.paging import DEFAULT_LIMIT, Limit, Offset
from spojka.http.schemas import Page
from spojka.links import services
from spojka.links.flows import Flows, flows_from_document
from spojka.links.models import Link
from spojka.links.schemas import LinkIn, LinkOut, LinkPatch
from spojka.runs.enqueue import enqueue_webhook_registration
from spojka.runs.schedule import schedule_link, unschedule_link


async def _register_webhooks(
    request: Request[Any, Any, Any], tenant_id: uuid.UUID, link_id: uuid.UUID, flows: Flows, *, paused: bool
) -> None:
    """Have the worker register the e-shop's webhooks when the link wants them."""
    if flows.orders.enabled and flows.orders.webhooks and not paused:
        await enqueue_webhook_registration(request.app.state.queue, tenant_id, link_id)


def _out(link: Link) -> LinkOut:
    return LinkOut(
        id=link.id,
        name=link.name,
        eshop_connection_id=link.eshop_connection_id,
        accounting_connection_id=link.accounting_connection_id,
        flows=flows_from_document(link.flows),
        paused=link.paused,
        created_at=link.created_at,
        updated_at=link.updated_at,
    )


@get("/api/v1/links", operation_id="listLinks", tags=["links"])
async def list_links(
    principal: NamedDependency[Principal],
    db_session: NamedDependency[AsyncSession],
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> Page[LinkOut]:
    """The company's links."""
    rows, total = await services.page(db_session, principal.tenant_id, limit=limit, offset=offset)
    return Page(items=[_out(link) for link in rows], total=total, limit=limit, offset=offset)


@post("/api/v1/links", operation_id="createLink", tags=["links"], status_code=HTTP_201_CREATED)
async def create_link(
    request: Request[Any, Any, Any],
    data: JSONBody[LinkIn],
    principal: NamedDependency[Principal],
    db_session: NamedDependency[AsyncSession],
) -> LinkOut:
    """Pair an e-shop connection with an accounting connection."""
    link = await services.create(db_session, request.app.state.registry, principal, data)
    await schedule_link(request.app.state.redis, link.tenant_id, link.id, data.flows, paused=link.paused)
    await _register_webhooks(request, link.tenant_id, link.id, data.flows, paused=link.paused)
    return _out(link)


@get("/api/v1/links/{link_id:uuid}", operation_id="getLink", tags=["links"])
async def get_link(
    link_id: FromPath[uuid.UUID],
    principal: NamedDependency[Principal],
    db_session: NamedDependency[AsyncSession],
) -> LinkOut:
    """One link with its flows' settings."""
    return _out(await services.get(db_session, principal.tenant_id, link_id))


@patch("/api/v1/links/{link_id:uuid}", operation_id="updateLink", tags=["links"])
async def update_link(
    request: Request[Any, Any, Any],
    link_id: FromPath[uuid.UUID],
    data: JSONBody[LinkPatch],
    principal: NamedDependency[Principal],
    db_session: NamedDependency[AsyncSession],
) -> LinkOut:
    """Rename, change flows' settings, pause or resume."""
    link = await services.update(db_session, principal, link_id, data)
    flows = flows_from_document(link.flows)
    await schedule_link(request.app.state.redis, link.tenant_id, link.id, flows, paused=link.paused)
    await _register_webhooks(request, link.tenant_id, link.id, flows, paused=link.paused)
    return _out(link)


@delete(
    "/api/v1/links/{link_id:uuid}", operation_id="deleteLink", tags=["links"], status_code=HTTP_204_NO_CONTENT
)
async def delete_link(
    request: Request[Any, Any, Any],
    link_id: FromPath[uuid.UUID],
    principal: NamedDependency[Principal],
    db_session: NamedDependency[AsyncSession],
) -> None:
    """Delete a link with its run history and bindings."""
    await services.delete(db_session, principal, link_id)
    await unschedule_link(request.app.state.redis, principal.tenant_id, link_id)


ROUTES = [list_links, create_link, get_link, update_link, delete_link]
