"""The worker job that registers a link's e-shop webhooks (queued by the links API)."""

from __future__ import annotations

import uuid
from typing import Any

from arq import Retry

from spojka.sync.webhook_registration import LINK_NOT_FOUND, register_link_webhooks

#: The API queues the job as it answers, a moment before its transaction commits the link.
_WAIT_FOR_COMMIT_TRIES = 3


async def register_webhooks(ctx: dict[str, Any], tenant_id: str, link_id: str) -> str:
    """Register the webhooks of one link; arq retries it on a temporary failure."""
    outcome = await register_link_webhooks(ctx["engine"], uuid.UUID(tenant_id), uuid.UUID(link_id))
    if outcome == LINK_NOT_FOUND and ctx.get("job_try", 1) < _WAIT_FOR_COMMIT_TRIES:
        raise Retry(defer=1)
    return outcome
