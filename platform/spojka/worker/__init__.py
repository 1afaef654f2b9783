"""``spojka worker``: the arq worker that runs Spojka's jobs.

API code enqueues through ``spojka.queue`` and never imports this package.
"""

from spojka.worker.jobs import ping
from spojka.worker.runner import check_worker_health, create_worker, run_worker, worker_health
from spojka.worker.settings import worker_settings

__all__ = (
    "check_worker_health",
    "create_worker",
    "ping",
    "run_worker",
    "worker_health",
    "worker_settings",
)
