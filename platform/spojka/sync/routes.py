"""``POST /api/v1/hooks/{connectionId}/{token}``: e-shop webhooks; ``GET
/api/v1/connections/{id}/options``: the remote's choices for the link editor."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.status_codes import HTTP_202_ACCEPTED
from sqlalchemy.ext.asyncio import AsyncSession

from spojka.auth.principal import Principal
from spojka.connections.services import get as get_connection
from spojka.connector import ConnectorError
from spojka.connector.capabilities import Option, RemoteOptions
from spojka.http.problems import NotFound, Unauthorized, Unavailable
from spojka.http.schemas import Output
from spojka.runs.enqueue import enqueue_flow
from spojka.sync.options import read_options
from spojka.sync.runner import Engine
from spojka.sync.webhooks import BadSignatureError, UnknownEndpointError, receive


class HookAccepted(Output):
    accepted: int
    duplicates: int


@post(
    "/api/v1/hooks/{connection_id:uuid}/{token:str}",
    operation_id="receiveWebhook",
    tags=["webhooks"],
    status_code=HTTP_202_ACCEPTED,
    opt={"exclude_from_auth": True, "answers": (401,)},
    security=[],
)
async def receive_webhook(
    request: Request[Any, Any, Any], connection_id: FromPath[uuid.UUID], token: FromPath[str]
) -> HookAccepted:
    """A webhook from an e-shop. The connector checks its signature; repeats are dropped; the
    worker picks the change up at once."""
    engine: Engine = request.app.state.engine
    body = await request.body()
    try:
        intake = await receive(engine, connection_id, token, dict(request.headers), body)
    except UnknownEndpointError:
        raise NotFound("No webhook endpoint at this address.") from None
    except BadSignatureError as exc:
        raise Unauthorized(f"The webhook was refused: {exc}") from None
    for link_id in intake.queued:
        await enqueue_flow(request.app.state.queue, intake.tenant_id, link_id, "orders")
    return HookAccepted(accepted=intake.accepted, duplicates=intake.duplicates)


class OptionOut(Output):
    value: str
    label: str


class ConnectionOptionsOut(Output):
    """The remote's choices; ``supported`` is false when its connector cannot list them (type them)."""

    supported: bool
    order_statuses: list[OptionOut]
    payment_methods: list[OptionOut]
    shipping_methods: list[OptionOut]
    vat_rates: list[OptionOut]
    number_series: list[OptionOut]
    warehouses: list[OptionOut]


def _out(options: tuple[Option, ...]) -> list[OptionOut]:
    return [OptionOut(value=o.value, label=o.label) for o in options]


@get(
    "/api/v1/connections/{connection_id:uuid}/options",
    operation_id="getConnectionOptions",
    tags=["connections"],
    opt={"answers": (503,)},
)
async def get_connection_options(
    request: Request[Any, Any, Any],
    connection_id: FromPath[uuid.UUID],
    principal: NamedDependency[Principal],
    db_session: NamedDependency[AsyncSession],
) -> ConnectionOptionsOut:
    """The connected system's order statuses, payment and shipping methods, VAT rates, number series
    and warehouses, read from it now, for choosing a link's mappings."""
    connection = await get_connection(db_session, principal.tenant_id, connection_id)  # 404 if foreign
    engine: Engine = request.app.state.engine
    try:
        options = await read_options(engine, principal.tenant_id, connection_id, connection.connector)
    except TimeoutError:
        raise Unavailable("The system did not list its choices in time; try again in a moment.") from None
    except ConnectorError as exc:
        raise Unavailable(exc.message) from None
    listed = options or RemoteOptions()
    return ConnectionOptionsOut(
        supported=options is not None,
        order_statuses=_out(listed.order_statuses),
        payment_methods=_out(listed.payment_methods),
        shipping_methods=_out(listed.shipping_methods),
        vat_rates=_out(listed.vat_rates),
        number_series=_out(listed.number_series),
        warehouses=_out(listed.warehouses),
    )


ROUTES = [receive_webhook, get_connection_options]
