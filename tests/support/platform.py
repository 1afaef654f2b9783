"""The platform in-process for integration tests: the app with its lifespan running, and a real
arq worker that drains the queue."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn
from litestar import Litestar

from spojka.app import AppOptions, create_app
from spojka.connector.registry import Registry
from spojka.connector.simulation import listening_socket
from spojka.settings import Settings
from spojka.worker.runner import create_worker

#: A drain that takes longer has a job stuck: fail rather than hang the suite.
DRAIN_SECONDS = 120


@asynccontextmanager
async def running_app(settings: Settings, registry: Registry, redis_url: str) -> AsyncIterator[Litestar]:
    """The app with its lifespan started, entered and left in one task of its own (anyio's scopes
    require it)."""
    application = create_app(settings, AppOptions(registry=registry, redis_url=redis_url))
    started, stop = asyncio.Event(), asyncio.Event()

    async def hold() -> None:
        async with application.lifespan():
            started.set()
            await stop.wait()

    task = asyncio.create_task(hold())
    await asyncio.wait([task, asyncio.create_task(started.wait())], return_when=asyncio.FIRST_COMPLETED)
    if task.done():
        task.result()
    try:
        yield application
    finally:
        stop.set()
        await task


@asynccontextmanager
async def served_app(
    settings: Settings, registry: Registry, redis_url: str
) -> AsyncIterator[tuple[Litestar, Settings]]:
    """The app served over real HTTP on a free loopback port, in this event loop, for remote
    systems (simulators) that call Spojka themselves; its settings' ``public_url`` is that address."""
    sock = listening_socket()
    settings = dataclasses.replace(settings, public_url=f"http://127.0.0.1:{sock.getsockname()[1]}")
    application = create_app(settings, AppOptions(registry=registry, redis_url=redis_url))
    server = uvicorn.Server(uvicorn.Config(application, log_level="warning", lifespan="on"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        if task.done():
            sock.close()
            task.result()
            raise RuntimeError("the app did not start")
        await asyncio.sleep(0.01)
    try:
        yield application, settings
    finally:
        server.should_exit = True
        await task
        sock.close()


async def drain(settings: Settings, redis_url: str, registry: Registry) -> None:
    """Run a real arq worker until the queue is empty (no cron: the tests start every run)."""
    worker = create_worker(
        settings,
        redis_url=redis_url,
        registry=registry,
        burst=True,
        handle_signals=False,
        poll_delay=0.05,
        cron_jobs=[],
    )
    try:
        await asyncio.wait_for(worker.main(), timeout=DRAIN_SECONDS)
    finally:
        await worker.close()
