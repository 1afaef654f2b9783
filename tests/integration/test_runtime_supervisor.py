"""``run_all`` in a real subprocess: embedded Redis, a small API, the real worker, extra children."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from spojka.embedded_redis import EmbeddedRedis
from spojka.queue import create_queue_pool

pytestmark = pytest.mark.filterwarnings("ignore:Call to deprecated close:DeprecationWarning")

API_CODE = """
import asyncio
import os

import uvicorn
from litestar import Litestar, get


@get("/health", sync_to_thread=False)
def health() -> dict[str, str]:
    return {"status": "ok"}


host, port = os.environ["SPOJKA_HOST"], int(os.environ["SPOJKA_PORT"])
uvicorn.run(Litestar([health]), host=host, port=port, log_level="warning")
"""

WORKER_CODE = """
from spojka.settings import get_settings
from spojka.worker import run_worker

run_worker(get_settings())
"""

SUPERVISOR_CODE = """
import json
import sys

from spojka.runtime import ChildSpec, run_all
from spojka.settings import get_settings

plan = json.loads(sys.argv[1])
extra = [ChildSpec(**spec) for spec in plan["extra"]]
raise SystemExit(
    run_all(
        get_settings(),
        api_target=plan["api"],
        worker_target=plan["worker"],
        extra=extra,
        stop_timeout=plan["stop_timeout"],
        ready_timeout=60,
    )
)
"""

STUBBORN_CODE = """
import signal
import time

signal.signal(signal.SIGTERM, signal.SIG_IGN)
time.sleep(600)
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def py(code: str) -> list[str]:
    return [sys.executable, "-c", code]


class Run:
    """A supervisor subprocess with its output in files."""

    def __init__(self, tmp_path: Path, plan: dict[str, Any], port: int | None = None) -> None:
        self.tmp_path = tmp_path
        self.port = port or free_port()
        self.stdout = tmp_path / "stdout.txt"
        self.stderr = tmp_path / "stderr.txt"
        env = {k: v for k, v in os.environ.items() if not k.startswith("SPOJKA_")}
        env.update(SPOJKA_VAR_DIR=str(tmp_path / "var"), SPOJKA_PORT=str(self.port))
        plan = {"api": py(API_CODE), "worker": py(WORKER_CODE), "extra": [], "stop_timeout": 10, **plan}
        with self.stdout.open("wb") as out, self.stderr.open("wb") as err:
            self.process = subprocess.Popen(
                [sys.executable, "-c", SUPERVISOR_CODE, json.dumps(plan)],
                cwd=tmp_path,
                env=env,
                stdout=out,
                stderr=err,
            )

    def output(self) -> str:
        return self.stdout.read_text() + self.stderr.read_text()

    def wait_for(self, pattern: str, timeout: float = 60) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            match = re.search(pattern, self.output())
            if match:
                return match
            if self.process.poll() is not None:
                pytest.fail(f"supervisor exited ({self.process.returncode}) early:\n{self.output()}")
            time.sleep(0.1)
        pytest.fail(f"{pattern!r} did not appear in time:\n{self.output()}")

    def child_pids(self) -> dict[str, int]:
        found = re.findall(r"started (.+?) \(pid (\d+)\)", self.stderr.read_text())
        return {name: int(pid) for name, pid in found}

    def wait(self, timeout: float) -> int:
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            pytest.fail(f"supervisor did not exit within {timeout} s:\n{self.output()}")

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def alive(pid: int) -> bool:
    """Running, not merely a zombie waiting for an adoptive parent to reap it."""
    try:
        os.kill(pid, 0)
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (ProcessLookupError, FileNotFoundError):
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


def processes_under(directory: Path) -> list[int]:
    """Processes whose working directory lies in ``directory`` (children, Redis, helpers)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cwd = os.readlink(entry / "cwd")
        except OSError:
            continue
        if cwd == str(directory) or cwd.startswith(f"{directory}/"):
            pids.append(int(entry.name))
    return pids


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
async def test_run_all_serves_then_stops_everything(tmp_path: Path, stop_signal: signal.Signals) -> None:
    extra_port = free_port()
    extra = {
        "name": "simulator",
        "argv": [sys.executable, "-m", "http.server", str(extra_port), "--bind", "127.0.0.1"],
        "health_url": f"http://127.0.0.1:{extra_port}/",
    }
    run = Run(tmp_path, {"extra": [extra]})
    try:
        banner = run.wait_for(r"Spojka is running at (http://\S+)")
        assert banner.group(1) == f"http://127.0.0.1:{run.port}"
        pids = run.child_pids()
        assert set(pids) == {"embedded Redis", "api", "worker", "simulator"}

        # The worker child attached to the supervisor's Redis: a job round-trips through it.
        embedded = EmbeddedRedis(tmp_path / "var" / "redis")
        assert embedded.is_running()
        pool = await create_queue_pool(embedded.url)
        try:
            job = await pool.enqueue_job("ping")
            assert job is not None
            assert await job.result(timeout=30, poll_delay=0.1) == "pong"
        finally:
            await pool.aclose()

        started = time.monotonic()
        run.process.send_signal(stop_signal)
        assert run.wait(15) == 0, run.output()
        assert time.monotonic() - started < 12
    finally:
        run.kill()

    assert not [name for name, pid in pids.items() if alive(pid)], run.output()
    assert processes_under(tmp_path) == []
    assert not embedded.is_running()
    assert not embedded.socket_path.exists()


def test_run_all_stops_the_rest_when_a_child_dies(tmp_path: Path) -> None:
    plan = {
        "worker": py("import time; time.sleep(3); raise SystemExit(3)"),
        "extra": [{"name": "stubborn", "argv": py(STUBBORN_CODE)}],
        "stop_timeout": 2,
    }
    run = Run(tmp_path, plan)
    try:
        run.wait_for(r"Spojka is running at")
        pids = run.child_pids()
        code = run.wait(20)
    finally:
        run.kill()
    assert code == 1
    assert "worker exited unexpectedly (exit code 3)" in run.output()
    assert "stubborn did not stop in time; killing it" in run.output()
    assert not [name for name, pid in pids.items() if alive(pid)], run.output()
    assert processes_under(tmp_path) == []


def test_run_all_refuses_a_port_that_already_answers(tmp_path: Path) -> None:
    (tmp_path / "first").mkdir()
    (tmp_path / "second").mkdir()
    first = Run(tmp_path / "first", {})
    try:
        first.wait_for(r"Spojka is running at")
        second = Run(tmp_path / "second", {}, port=first.port)
        try:
            assert second.wait(30) == 1
        finally:
            second.kill()
        assert "already answers" in second.output()
        assert "started" not in second.output(), "nothing may start, not even Redis"
        assert processes_under(tmp_path / "second") == []
        first.process.send_signal(signal.SIGINT)
        assert first.wait(15) == 0
    finally:
        first.kill()


def test_second_ctrl_c_kills_without_waiting(tmp_path: Path) -> None:
    run = Run(tmp_path, {"extra": [{"name": "stubborn", "argv": py(STUBBORN_CODE)}], "stop_timeout": 60})
    try:
        run.wait_for(r"Spojka is running at")
        pids = run.child_pids()
        run.process.send_signal(signal.SIGINT)
        run.wait_for(r"spojka: stopping")
        run.process.send_signal(signal.SIGINT)
        assert run.wait(10) == 0
    finally:
        run.kill()
    assert "stubborn did not stop in time; killing it" in run.output()
    assert not [name for name, pid in pids.items() if alive(pid)], run.output()
    assert processes_under(tmp_path) == []


@pytest.mark.skipif(sys.platform != "linux", reason="relies on PR_SET_PDEATHSIG")
def test_children_and_redis_die_with_a_killed_supervisor(tmp_path: Path) -> None:
    run = Run(tmp_path, {})
    try:
        run.wait_for(r"Spojka is running at")
        pids = run.child_pids()
    finally:
        run.kill()
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and (
        processes_under(tmp_path) or any(alive(pid) for pid in pids.values())
    ):
        time.sleep(0.1)
    assert not [name for name, pid in pids.items() if alive(pid)], run.output()
    assert processes_under(tmp_path) == []
