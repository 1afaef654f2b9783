"""Event endpoints and their delivery log, for a tenant (``/api/v1``) and for a partner
(``/partner/v1``, covering every tenant it manages)."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from litestar import Request, Response, delete, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_201_CREATED, HTTP_204_NO_CONTENT
from sqlalchemy.ext.asyncio import AsyncSession

from spojka.audit.service import record
from spojka.auth.principal import PartnerCaller, Principal
from spojka.http.paging import DEFAULT_LIMIT, Limit, Offset
from spojka.http.problems import Invalid, NotFound
from spojka.http.schemas import Page
from spojka.partners import events
from spojka.partners.models import EventDelivery, EventEndpoint
from spojka.partners.routes import partner_opt
from spojka.partners.schemas import (
    EventDeliveryOut,
    EventEndpointCreatedOut,
    EventEndpointIn,
    EventEndpointOut,
)
from spojka.settings import Settings
from spojka.vault import SecretStore

TAGS = ["events"]


def _endpoint_out(e: EventEndpoint) -> EventEndpointOut:
    return EventEndpointOut(id=e.id, url=e.url, events=e.events.split(), created_at=e.created_at)


def _delivery_out(d: EventDelivery) -> EventDeliveryOut:
    return EventDeliveryOut(
        id=d.id,
        endpoint_id=d.endpoint_id,
        event_id=d.event_id,
        event_type=d.event_type,
        tenant_id=d.tenant_id,
        status=d.status,
        attempts=d.attempts,
        last_status_code=d.last_status_code,
        last_error=d.last_error,
        created_at=d.created_at,
        next_attempt_at=d.next_attempt_at,
        delivered_at=d.delivered_at,
    )


async def _create(
    request: Request[Any, Any, Any], session: AsyncSession, owner: events.Owner, data: EventEndpointIn
) -> tuple[EventEndpoint, EventEndpointCreatedOut]:
    settings: Settings = request.app.state.settings
    try:
        parsed = httpx.URL(data.url)
    except httpx.InvalidURL:
        raise Invalid("The endpoint URL is not a valid URL.") from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise Invalid("The endpoint URL must be an http(s) URL with a host name.")
    # Events carry business data: outside development they only travel encrypted.
    if settings.is_production and parsed.scheme != "https":
        raise Invalid("The endpoint URL must use https://.")
    store: SecretStore = request.app.state.secret_store
    endpoint, secret = await events.create_endpoint(session, store.ring, owner, data.url, list(data.events))
    out = _endpoint_out(endpoint)
    return endpoint, EventEndpointCreatedOut(
        id=out.id, url=out.url, events=out.events, created_at=out.created_at, signing_secret=secret
    )


# -- a tenant's endpoints ---------------------------------------------------------------------


@get("/api/v1/event-endpoints", operation_id="listEventEndpoints", tags=TAGS)
async def list_event_endpoints(
    principal: NamedDependency[Principal], db_session: NamedDependency[AsyncSession]
) -> Page[EventEndpointOut]:
    """The company's event endpoints (never their signing secrets)."""
    owner = events.Owner(tenant_id=principal.tenant_id)
    items = [_endpoint_out(e) for e in await events.list_endpoints(db_session, owner)]
    return Page(items=items, total=len(items), limit=len(items), offset=0)


@post("/api/v1/event-endpoints", operation_id="createEventEndpoint", tags=TAGS, status_code=HTTP_201_CREATED)
async def create_event_endpoint(
    request: Request[Any, Any, Any],
    data: JSONBody[EventEndpointIn],
    principal: NamedDependency[Principal],
    db_session: NamedDependency[AsyncSession],
) -> EventEndpointCreatedOut:
    """Register a URL for signed event notifications. The signing secret is shown here only."""
    endpoint, out = await _create(request, db_session, events.Owner(tenant_id=principal.tenant_id), data)
    await record(
        db_session, principal, "event_endpoint.created", "event_endpoint", endpoint.id, {"url": endpoint.url}
    )
    return out


@delete(
    "/api/v1/event-endpoints/{endpoint_id:uuid}",
    operation_id="deleteEventEndpoint",
    tags=TAGS,
    status_code=HTTP_204_NO_CONTENT,
)
async def delete_event_endpoint(
    endpoint_id: FromPath[uuid.UUID],
    principal: NamedDependency[Principal],
    db_session: NamedDependency[AsyncSession],
) -> Response[None]:
    """Remove an endpoint (and its delivery log)."""
    endpoint = await events.get_endpoint(db_session, events.Owner(tenant_id=principal.tenant_id), endpoint_id)
    if endpoint is None:
        raise NotFound("No such event endpoint.")
    await db_session.delete(endpoint)
    await record(
        db_session, principal, "event_endpoint.deleted", "event_endpoint", endpoint_id, {"url": endpoint.url}
    )
    return Response(None, status_code=HTTP_204_NO_CONTENT)


@get("/api/v1/event-deliveries", operation_id="listEventDeliveries", tags=TAGS)
async def list_event_deliveries(
    principal: NamedDependency[Principal],
    db_session: NamedDependency[AsyncSession],
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> Page[EventDeliveryOut]:
    """The delivery log of the company's endpoints, newest first."""
    rows, total = await events.list_deliveries(
        db_session, events.Owner(tenant_id=principal.tenant_id), limit=limit, offset=offset
    )
    return Page(items=[_delivery_out(d) for d in rows], total=total, limit=limit, offset=offset)


# -- a partner's endpoints --------------------------------------------------------------------


@get(
    "/partner/v1/event-endpoints",
    operation_id="listPartnerEventEndpoints",
    tags=TAGS,
    opt=partner_opt("events:read"),
)
async def list_partner_event_endpoints(
    partner: NamedDependency[PartnerCaller], db_session: NamedDependency[AsyncSession]
) -> Page[EventEndpointOut]:
    """The partner's event endpoints: they receive the events of every tenant it manages."""
    owner = events.Owner(partner_id=partner.partner_id)
    items = [_endpoint_out(e) for e in await events.list_endpoints(db_session, owner)]
    return Page(items=items, total=len(items), limit=len(items), offset=0)


@post(
    "/partner/v1/event-endpoints",
    operation_id="createPartnerEventEndpoint",
    tags=TAGS,
    status_code=HTTP_201_CREATED,
    opt=partner_opt("events:write"),
)
async def create_partner_event_endpoint(
    request: Request[Any, Any, Any],
    data: JSONBody[EventEndpointIn],
    partner: NamedDependency[PartnerCaller],
    db_session: NamedDependency[AsyncSession],
) -> EventEndpointCreatedOut:
    """Register a URL for the events of all the partner's tenants. The signing secret is shown here only."""
    _, out = await _create(request, db_session, events.Owner(partner_id=partner.partner_id), data)
    return out


@delete(
    "/partner/v1/event-endpoints/{endpoint_id:uuid}",
    operation_id="deletePartnerEventEndpoint",
    tags=TAGS,
    status_code=HTTP_204_NO_CONTENT,
    opt=partner_opt("events:write"),
)
async def delete_partner_event_endpoint(
    endpoint_id: FromPath[uuid.UUID],
    partner: NamedDependency[PartnerCaller],
    db_session: NamedDependency[AsyncSession],
) -> Response[None]:
    """Remove one of the partner's endpoints (and its delivery log)."""
    endpoint = await events.get_endpoint(db_session, events.Owner(partner_id=partner.partner_id), endpoint_id)
    if endpoint is None:
        raise NotFound("No such event endpoint.")
    await db_session.delete(endpoint)
    return Response(None, status_code=HTTP_204_NO_CONTENT)


@get(
    "/partner/v1/event-deliveries",
    operation_id="listPartnerEventDeliveries",
    tags=TAGS,
    opt=partner_opt("events:read"),
)
async def list_partner_event_deliveries(
    partner: NamedDependency[PartnerCaller],
    db_session: NamedDependency[AsyncSession],
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> Page[EventDeliveryOut]:
    """The delivery log of the partner's endpoints, newest first."""
    rows, total = await events.list_deliveries(
        db_session, events.Owner(partner_id=partner.partner_id), limit=limit, offset=offset
    )
    return Page(items=[_delivery_out(d) for d in rows], total=total, limit=limit, offset=offset)


ROUTES = [
    list_event_endpoints,
    create_event_endpoint,
    delete_event_endpoint,
    list_event_deliveries,
    list_partner_event_endpoints,
    create_partner_event_endpoint,
    delete_partner_event_endpoint,
    list_partner_event_deliveries,
]
