"""The worker job that registers a link's e-shop webhooks (queued by the links API)."""

from __future__ import annotations

import uuid
from typing import Any

from arq import Retry

from spojka.partners.jobs import emit_connection_attention
from spojka.sync.webhook_registration import LINK_NOT_FOUND, register_link_webhooks

#: The API queues the job as it answers, a moment before its transaction commits the link.
_WAIT_FOR_COMMIT_TRIES = 3


async def register_webhooks(ctx: dict[str, Any], tenant_id: str, link_id: str) -> str:
    """Register the webhooks of one link; arq retries it on a temporary failure. A refusal makes
    the e-shop connection need the merchant's attention (and partners hear of it)."""
    tenant = uuid.UUID(tenant_id)
    registration = await register_link_webhooks(ctx["engine"], tenant, uuid.UUID(link_id))
    if registration.message == LINK_NOT_FOUND and ctx.get("job_try", 1) < _WAIT_FOR_COMMIT_TRIES:
        raise Retry(defer=1)
    refused = registration.refused_by
    if refused is not None:
        await emit_connection_attention(
            ctx["engine"].db,
            ctx["redis"],
            tenant,
            refused.id,
            name=refused.name,
            connector=refused.connector,
            message=registration.message,
        )
    return registration.message
