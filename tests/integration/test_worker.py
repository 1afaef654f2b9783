"""The worker against a real Redis: jobs as JSON, ping, health checks, a real worker process."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from arq.connections import ArqRedis
from arq.jobs import SerializationError

from spojka.embedded_redis import EmbeddedRedis, connect
from spojka.queue import DEFAULT_QUEUE_NAME, JobError, create_queue_pool, worker_health_key
from spojka.settings import Settings
from spojka.worker import check_worker_health, create_worker, ping, worker_health

# arq 0.28 itself still calls redis-py's deprecated close().
pytestmark = pytest.mark.filterwarnings("ignore:Call to deprecated close:DeprecationWarning")

WORKER_CODE = """
from spojka.settings import get_settings
from spojka.worker import run_worker

run_worker(get_settings())
"""


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedRedis]:
    # Our own server: a shared one may hold other tests' jobs, which a burst worker would run.
    server = EmbeddedRedis(tmp_path_factory.mktemp("worker-redis"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
async def pool(redis_server: EmbeddedRedis) -> AsyncIterator[ArqRedis]:
    queue_pool = await create_queue_pool(redis_server.url)
    await queue_pool.flushdb()
    try:
        yield queue_pool
    finally:
        await queue_pool.aclose()


@pytest.fixture
def settings(tmp_path: Path, redis_server: EmbeddedRedis) -> Settings:
    return Settings(var_dir=str(tmp_path / "var"), redis_url=redis_server.url)


async def boom(ctx: dict[Any, Any], order_id: str) -> None:
    raise ValueError(f"order {order_id} is broken")


async def test_ping_runs_with_json_payloads(pool: ArqRedis, settings: Settings) -> None:
    job = await pool.enqueue_job("ping", _job_id="smoke-ping")
    assert job is not None

    raw_job = await pool.get("arq:job:smoke-ping")
    assert raw_job is not None
    assert not raw_job.startswith(b"\x80"), "pickle protocol header"
    payload = json.loads(raw_job)
    assert payload["f"] == "ping"
    assert payload["a"] == []
    assert await pool.zscore(DEFAULT_QUEUE_NAME, "smoke-ping") is not None

    worker = create_worker(settings, burst=True, handle_signals=False, poll_delay=0.05)
    try:
        await worker.async_run()
    finally:
        await worker.close()
    assert worker.jobs_complete == 1

    assert await job.result(timeout=5) == "pong"
    raw_result = await pool.get("arq:result:smoke-ping")
    assert raw_result is not None
    result = json.loads(raw_result)
    assert result["r"] == "pong"
    assert result["s"] is True
    assert 0 < await pool.ttl("arq:result:smoke-ping") <= 60


async def test_failed_job_comes_back_as_job_error(pool: ArqRedis, settings: Settings) -> None:
    job = await pool.enqueue_job("boom", "42")
    assert job is not None
    worker = create_worker(
        settings, functions=[ping, boom], burst=True, handle_signals=False, poll_delay=0.05
    )
    try:
        await worker.async_run()
    finally:
        await worker.close()
    assert worker.jobs_failed == 1

    with pytest.raises(JobError) as failure:
        await job.result(timeout=5)
    assert failure.value.error_type.endswith("ValueError")
    assert failure.value.message == "order 42 is broken"
    raw_result = await pool.get(f"arq:result:{job.job_id}")
    assert raw_result is not None
    assert json.loads(raw_result)["s"] is False


async def test_non_json_arguments_are_refused_at_enqueue(pool: ArqRedis) -> None:
    with pytest.raises(SerializationError):
        await pool.enqueue_job("ping", object())


async def test_health_check_follows_a_running_worker(pool: ArqRedis, settings: Settings) -> None:
    assert await asyncio.to_thread(check_worker_health, settings) == 1

    worker = create_worker(settings, handle_signals=False, poll_delay=0.05)
    task = asyncio.create_task(worker.async_run())
    try:
        for _ in range(100):
            if await pool.exists(worker_health_key()):
                break
            await asyncio.sleep(0.05)
        assert await asyncio.to_thread(check_worker_health, settings) == 0
        info = await worker_health(settings)
        assert info is not None
        assert "j_complete=0" in info
        ttl = await pool.pttl(worker_health_key())
        assert 0 < ttl <= 31_000
    finally:
        await worker.close()
        await asyncio.gather(task, return_exceptions=True)
    assert await asyncio.to_thread(check_worker_health, settings) == 1


def test_health_check_without_redis_fails_fast(tmp_path: Path) -> None:
    embedded_default = Settings(var_dir=str(tmp_path / "var"))
    started = time.monotonic()
    assert check_worker_health(embedded_default) == 1
    assert time.monotonic() - started < 5
    assert not (tmp_path / "var" / "redis").exists(), "a health check must not start Redis"


def start_worker_process(tmp_path: Path, **env: str) -> subprocess.Popen[bytes]:
    child_env = {k: v for k, v in os.environ.items() if not k.startswith("SPOJKA_")}
    child_env.update(SPOJKA_VAR_DIR=str(tmp_path / "var"), **env)
    return subprocess.Popen(
        [sys.executable, "-c", WORKER_CODE],
        cwd=tmp_path,
        env=child_env,
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / "worker.log").open("wb"),
    )


async def stop_process(process: subprocess.Popen[bytes]) -> int:
    process.send_signal(signal.SIGTERM)
    return await asyncio.to_thread(process.wait, 15)


async def test_worker_process_runs_ping_and_stops_cleanly_on_sigterm(
    pool: ArqRedis, settings: Settings, tmp_path: Path, redis_server: EmbeddedRedis
) -> None:
    process = start_worker_process(tmp_path, SPOJKA_REDIS_URL=redis_server.url)
    try:
        job = await pool.enqueue_job("ping")
        assert job is not None
        assert await job.result(timeout=30, poll_delay=0.1) == "pong"
        assert await asyncio.to_thread(check_worker_health, settings) == 0
    finally:
        code = await stop_process(process)
    assert code == 0, (tmp_path / "worker.log").read_text()
    assert await asyncio.to_thread(check_worker_health, settings) == 1
    assert redis_server.is_running()


async def test_worker_process_on_the_embedded_default_owns_its_redis(tmp_path: Path) -> None:
    settings = Settings(var_dir=str(tmp_path / "var"))
    embedded = EmbeddedRedis(tmp_path / "var" / "redis")
    process = start_worker_process(tmp_path)
    try:
        for _ in range(300):
            if await asyncio.to_thread(check_worker_health, settings) == 0:
                break
            await asyncio.sleep(0.1)
        else:
            pytest.fail("the worker never reported healthy: " + (tmp_path / "worker.log").read_text())
        redis_pid = int((tmp_path / "var" / "redis" / "redis.pid").read_text())
        queue_pool = await create_queue_pool(embedded.url)
        try:
            job = await queue_pool.enqueue_job("ping")
            assert job is not None
            assert await job.result(timeout=30, poll_delay=0.1) == "pong"
        finally:
            await queue_pool.aclose()
    finally:
        code = await stop_process(process)
    assert code == 0, (tmp_path / "worker.log").read_text()
    assert not embedded.is_running()
    with pytest.raises(ProcessLookupError):
        os.kill(redis_pid, 0)


async def test_connect_reads_what_the_pool_wrote(pool: ArqRedis, redis_server: EmbeddedRedis) -> None:
    await pool.set("spojka:probe", "1")
    client = connect(redis_server.url)
    try:
        assert await client.get("spojka:probe") == b"1"
    finally:
        await client.aclose()
