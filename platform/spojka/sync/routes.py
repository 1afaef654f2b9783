"""``POST /api/v1/hooks/{connectionId}/{token}``: e-shop webhooks."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Request, post
from litestar.params import FromPath
from litestar.status_codes import HTTP_202_ACCEPTED

from spojka.http.problems import NotFound, Unauthorized
from spojka.http.schemas import Output
from spojka.runs.enqueue import enqueue_flow
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


ROUTES = [receive_webhook]
