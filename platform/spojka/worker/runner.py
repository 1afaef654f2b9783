"""Running ``spojka worker`` and probing its health."""

from __future__ import annotations

import asyncio
import logging
import logging.config
from typing import Any

from arq.logs import default_log_config
from arq.worker import Worker
from redis.exceptions import RedisError

from spojka.connector.registry import Registry
from spojka.embedded_redis import connect, redis_running, resolve_redis_url
from spojka.queue import worker_health_key
from spojka.settings import Settings
from spojka.worker.settings import worker_settings

__all__ = ("check_worker_health", "create_worker", "run_worker", "worker_health")

logger = logging.getLogger("spojka.worker")


def create_worker(
    settings: Settings, *, redis_url: str | None = None, registry: Registry | None = None, **overrides: Any
) -> Worker:
    """An ``arq`` Worker configured by ``worker_settings``; ``overrides`` win (e.g. ``burst=True``,
    ``handle_signals=False`` in tests). Needs an event loop set or running in this thread."""
    return Worker(**{**worker_settings(settings, redis_url=redis_url, registry=registry), **overrides})


def run_worker(settings: Settings, *, burst: bool = False) -> None:
    """Run the worker in the foreground until SIGTERM/SIGINT (or, with ``burst``, until the queue
    is empty). Running jobs get a grace period, then are cancelled and re-queued; returns normally
    after a signal. On the embedded default it starts (or attaches to) the embedded Redis."""
    _ensure_arq_logging()
    with redis_running(settings, die_with_parent=True) as url:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        try:
            # Built inside the loop: arq registers its SIGINT/SIGTERM handlers on it.
            create_worker(settings, redis_url=url, burst=burst).run()
        finally:
            loop.close()
            asyncio.set_event_loop(None)


async def worker_health(settings: Settings, *, redis_url: str | None = None) -> str | None:
    """The health line this host's worker last recorded, or None if it is stale, missing, or
    Redis is unreachable. Never starts the embedded Redis."""
    client = connect(redis_url or resolve_redis_url(settings), socket_connect_timeout=3, socket_timeout=3)
    try:
        data = await client.get(worker_health_key())
    except (RedisError, OSError) as exc:
        logger.warning("worker health check: Redis unreachable: %s", exc)
        return None
    finally:
        await client.aclose()
    if not data:
        return None
    return data.decode() if isinstance(data, bytes) else str(data)


def check_worker_health(settings: Settings, *, redis_url: str | None = None) -> int:
    """Liveness probe (``spojka worker --check``): 0 if this host's worker recorded its health
    within the last check interval, else 1."""
    info = asyncio.run(worker_health(settings, redis_url=redis_url))
    if info is None:
        logger.warning("worker health check failed: no fresh health record under %s", worker_health_key())
        return 1
    logger.info("worker health check passed: %s", info)
    return 0


def _ensure_arq_logging() -> None:
    # arq reports job starts and failures through logging; without any handler they vanish.
    if not logging.getLogger().handlers and not logging.getLogger("arq").handlers:
        logging.config.dictConfig(default_log_config(verbose=False))
