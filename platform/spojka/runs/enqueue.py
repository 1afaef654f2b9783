"""Handing a flow to the workers. API routes use this; they never import the worker."""

from __future__ import annotations

import uuid

from arq.connections import ArqRedis

from spojka.queue import DEFAULT_QUEUE_NAME

RUN_FLOW_JOB = "run_flow"


def flow_job_id(link_id: uuid.UUID, flow: str) -> str:
    """One queued-or-running job per link and flow."""
    return f"spojka:flow:{link_id}:{flow}"


async def enqueue_flow(pool: ArqRedis, tenant_id: uuid.UUID, link_id: uuid.UUID, flow: str) -> bool:
    """Queue the job that runs this link's flow; ``False`` when one is already queued or running
    (it picks up every queued run of the link and flow before it ends)."""
    job = await pool.enqueue_job(
        RUN_FLOW_JOB,
        str(tenant_id),
        str(link_id),
        flow,
        _job_id=flow_job_id(link_id, flow),
        _queue_name=DEFAULT_QUEUE_NAME,
    )
    return job is not None


REGISTER_WEBHOOKS_JOB = "register_webhooks"


async def enqueue_webhook_registration(pool: ArqRedis, tenant_id: uuid.UUID, link_id: uuid.UUID) -> None:
    """Queue the registration of a link's e-shop webhooks (one queued job per link at a time)."""
    await pool.enqueue_job(
        REGISTER_WEBHOOKS_JOB,
        str(tenant_id),
        str(link_id),
        _job_id=f"spojka:webhooks:{link_id}",
        _queue_name=DEFAULT_QUEUE_NAME,
    )
