"""arq configuration of ``spojka worker``, built from Spojka's settings."""

from __future__ import annotations

from typing import Any

from arq.cron import CronJob, cron
from arq.typing import WorkerCoroutine
from arq.worker import Function, func

from spojka.connector.http import use_shared_limits
from spojka.connector.registry import Registry
from spojka.db import Database
from spojka.embedded_redis import arq_settings, resolve_redis_url
from spojka.notifications.mailer import Mailer
from spojka.partners.jobs import deliver_due_events, deliver_event, sweep_lost_deliveries
from spojka.queue import DEFAULT_QUEUE_NAME, deserialize_job, serialize_job, worker_health_key
from spojka.settings import Settings
from spojka.sync.runner import Engine
from spojka.sync.shared_limits import RedisSharedLimits
from spojka.vault import SecretStore, load_key_ring
from spojka.worker.flow_job import run_flow
from spojka.worker.jobs import ping
from spojka.worker.scheduler import scheduler_tick
from spojka.worker.webhook_job import register_webhooks

__all__ = (
    "CRON_JOBS",
    "FUNCTIONS",
    "HEALTH_CHECK_INTERVAL_S",
    "JOB_TIMEOUT_S",
    "KEEP_RESULT_S",
    "MAX_JOBS",
    "MAX_TRIES",
    "SHUTDOWN_GRACE_S",
    "worker_settings",
)

FUNCTIONS: list[Function | WorkerCoroutine] = [ping]
#: Retries of ``run_flow`` are bounded by the run's own attempts (settings.max_run_attempts);
#: arq's count also includes waits for a busy lock or tenant slot, so it is set far above.
FLOW_JOB_MAX_TRIES = 1000
#: Each delivery attempt is a job of its own (retries are queued by deliver_due_events); arq's
#: own tries only cover a worker that died in the middle of one.
EVENT_DELIVERY_MAX_TRIES = 3
CRON_JOBS: list[CronJob] = []
#: How often the sweep of lost event deliveries runs.
SWEEP_EVERY_MINUTES = 5

MAX_JOBS = 10
JOB_TIMEOUT_S = 300
# Low, because arq keeps a *failed* job's result for the worker-level value whatever the function
# says, and a kept result blocks re-enqueueing the same _job_id (arq #417).
KEEP_RESULT_S = 60
MAX_TRIES = 5
# The health key lives interval + 1 s; a liveness probe should allow at least twice this.
HEALTH_CHECK_INTERVAL_S = 30
# Running jobs get this long to finish after SIGTERM/SIGINT before they are cancelled (and re-run
# later); below the supervisor's 10 s grace and Kubernetes' default 30 s.
SHUTDOWN_GRACE_S = 8


def worker_settings(
    settings: Settings, *, redis_url: str | None = None, registry: Registry | None = None
) -> dict[str, Any]:
    """Keyword arguments for ``arq.worker.Worker`` (arq also accepts the dict as "WorkerSettings").

    ``redis_url`` defaults to the configured URL, or the embedded server's socket (which this does
    not start).
    """

    async def on_startup(ctx: dict[Any, Any]) -> None:
        ctx["settings"] = settings
        ctx["mailer"] = Mailer(settings)
        db = Database(settings.effective_database_url)
        ctx["db"] = db
        admin_url = settings.effective_migration_database_url
        ctx["admin_db"] = db if admin_url == settings.effective_database_url else Database(admin_url)
        ctx["engine"] = Engine(
            db=db,
            registry=registry or Registry.from_entry_points(extra=settings.connector_modules),
            secrets=SecretStore(load_key_ring(settings, create=not settings.is_production)),
            redis=ctx["redis"],
            public_url=settings.effective_public_url,
        )
        # Several workers may serve one connection: its rate limits are kept in Redis for all.
        use_shared_limits(RedisSharedLimits(ctx["redis"]))

    async def on_shutdown(ctx: dict[Any, Any]) -> None:
        use_shared_limits(None)
        db = ctx.pop("db", None)
        admin_db = ctx.pop("admin_db", None)
        if isinstance(admin_db, Database) and admin_db is not db:
            await admin_db.dispose()
        if isinstance(db, Database):
            await db.dispose()

    short_timeout = min(60, settings.job_timeout_seconds)
    return {
        "functions": [
            *FUNCTIONS,
            func(run_flow, max_tries=FLOW_JOB_MAX_TRIES, timeout=settings.job_timeout_seconds, keep_result=0),
            # arq takes over a dead worker's job after the *largest* function timeout (+10 s): no
            # other job may have a longer timeout than the flow job's.
            func(register_webhooks, max_tries=MAX_TRIES, timeout=short_timeout, keep_result=0),
            func(deliver_event, max_tries=EVENT_DELIVERY_MAX_TRIES, timeout=short_timeout, keep_result=0),
        ],
        # arq takes over a dead worker's job after the *largest* function timeout (+10 s), so the
        # tick's timeout must not exceed the flow job's.
        "cron_jobs": [
            *CRON_JOBS,
            cron(
                scheduler_tick,
                second={0},
                unique=True,
                timeout=min(55, settings.job_timeout_seconds),
                keep_result=0,
            ),
            # Event notifications whose retry is due (partners.jobs).
            cron(
                deliver_due_events,
                second={30},
                unique=True,
                timeout=min(55, settings.job_timeout_seconds),
                keep_result=0,
            ),
            # Pending event deliveries whose job Redis lost (partners.jobs), every five minutes.
            cron(
                sweep_lost_deliveries,
                minute=set(range(2, 60, SWEEP_EVERY_MINUTES)),
                second={45},
                unique=True,
                timeout=min(55, settings.job_timeout_seconds),
                keep_result=0,
            ),
        ],
        "queue_name": DEFAULT_QUEUE_NAME,
        "redis_settings": arq_settings(redis_url or resolve_redis_url(settings)),
        "on_startup": on_startup,
        "on_shutdown": on_shutdown,
        "job_serializer": serialize_job,
        "job_deserializer": deserialize_job,
        "max_jobs": MAX_JOBS,
        "job_timeout": settings.job_timeout_seconds,
        "keep_result": KEEP_RESULT_S,
        "max_tries": MAX_TRIES,
        "health_check_interval": HEALTH_CHECK_INTERVAL_S,
        "health_check_key": worker_health_key(),
        "job_completion_wait": SHUTDOWN_GRACE_S,
        "allow_abort_jobs": True,
    }
