"""``spojka run``: the embedded Redis, the API and the worker (and, for ``spojka demo``, more
children) as one unit that starts together and stops together.

Children run in their own process groups, so a terminal's Ctrl-C reaches only the supervisor,
which then stops them in order: every child first (SIGTERM, then SIGKILL after a grace period),
the Redis they use last. On Linux each child also gets SIGTERM from the kernel should the
supervisor itself die without cleaning up.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import IO
from urllib.parse import urlsplit

import click

from spojka.embedded_redis import (
    EmbeddedRedis,
    EmbeddedRedisError,
    die_with_parent_preexec,
    embedded_redis_dir,
)
from spojka.settings import Settings

__all__ = ("Child", "ChildSpec", "Supervisor", "Target", "api_health_url", "cli_command", "run_all")

_POLL_S = 0.2
_HANDLED_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


@dataclass(frozen=True, slots=True)
class ChildSpec:
    """One child process: its name (for messages), command line and extra environment.

    With ``health_url`` the supervisor waits for that URL to answer 2xx before it announces
    that Spojka is running. With ``log_file`` its output is appended there instead of the
    terminal.
    """

    name: str
    argv: Sequence[str]
    env: Mapping[str, str] = field(default_factory=dict)
    health_url: str | None = None
    log_file: str | None = None


Target = ChildSpec | Sequence[str]
"""A child given either fully, or as just its command line."""


def cli_command(*args: str) -> list[str]:
    """The command line of a ``spojka`` subcommand run by this same interpreter."""
    return [sys.executable, "-m", "spojka", *args]


def _probe_host(host: str) -> str:
    if host in {"", "0.0.0.0"}:  # noqa: S104 - translating a bind-all address to a probe address
        return "127.0.0.1"
    if host == "::":
        return "::1"
    return host


def api_health_url(settings: Settings) -> str:
    """Where the supervisor probes the API: ``/health`` on the address it listens on."""
    host = _probe_host(settings.host)
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{settings.port}/health"


def _answers(url: str, timeout: float = 1.0) -> bool:
    # http.client rather than urllib: a proxy from the environment must not intercept loopback.
    parts = urlsplit(url)
    conn_cls = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    conn = conn_cls(parts.hostname or "127.0.0.1", parts.port, timeout=timeout)
    try:
        conn.request("GET", parts.path or "/")
        return 200 <= conn.getresponse().status < 300
    except (OSError, http.client.HTTPException):
        return False
    finally:
        conn.close()


def _describe_exit(code: int) -> str:
    if code < 0:
        with contextlib.suppress(ValueError):
            return f"killed by {signal.Signals(-code).name}"
    return f"exit code {code}"


@dataclass
class Child:
    """A started child: its spec, its process, and whether its health URL has answered."""

    spec: ChildSpec
    process: subprocess.Popen[bytes]
    ready: bool = False


class Supervisor:
    """Starts children with a shared environment and stops them all, however it ends.

    ``run_all`` is the usual entry point; this class is for callers that need their own loop.
    """

    def __init__(
        self,
        env: Mapping[str, str],
        *,
        stop_timeout: float = 10.0,
        echo: Callable[[str], None] | None = None,
    ) -> None:
        self.env = dict(env)
        self.stop_timeout = stop_timeout
        self.children: list[Child] = []
        self.echo: Callable[[str], None] = echo or (
            lambda message: click.echo(f"spojka: {message}", err=True)
        )
        self._preexec = die_with_parent_preexec()
        # Set (from a signal handler) to cut the graceful wait in stop() short.
        self.force = False

    def start(self, spec: ChildSpec) -> int:
        """Start a child in its own process group; returns its pid."""
        output: int | IO[bytes] | None = None
        if spec.log_file is not None:
            Path(spec.log_file).parent.mkdir(parents=True, exist_ok=True)
            output = open(spec.log_file, "ab")  # noqa: SIM115 (the child owns it; closed below)
        try:
            process = subprocess.Popen(  # noqa: S603 - argv comes from our own CLI wiring
                list(spec.argv),
                env={**self.env, **spec.env},
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT if output is not None else None,
                process_group=0,
                preexec_fn=self._preexec,  # noqa: PLW1509
            )
        finally:
            if output is not None and not isinstance(output, int):
                output.close()
        self.children.append(Child(spec, process))
        self.echo(f"started {spec.name} (pid {process.pid})")
        return process.pid

    def exited(self) -> Child | None:
        """The first child that has exited, if any."""
        for child in self.children:
            if child.process.poll() is not None:
                return child
        return None

    def check_ready(self) -> bool:
        """Probe children with a health URL that have not answered yet; True once all have."""
        for child in self.children:
            if not child.ready and child.spec.health_url:
                child.ready = _answers(child.spec.health_url)
        return all(child.ready or not child.spec.health_url for child in self.children)

    def not_ready(self) -> list[str]:
        """Names of children still waiting for their health URL to answer."""
        return [c.spec.name for c in self.children if c.spec.health_url and not c.ready]

    def stop(self) -> None:
        """SIGTERM every child's process group, wait up to ``stop_timeout`` (cut short by setting
        ``force``), SIGKILL whatever is left."""
        for child in self.children:
            if child.process.poll() is None:
                self._signal_group(child, signal.SIGTERM)
        deadline = time.monotonic() + self.stop_timeout
        while time.monotonic() < deadline and not self.force:
            if all(child.process.poll() is not None for child in self.children):
                break
            time.sleep(0.05)
        for child in self.children:
            if child.process.poll() is None:
                self.echo(f"{child.spec.name} did not stop in time; killing it")
                self._signal_group(child, signal.SIGKILL)
            child.process.wait()
            # Sweep helpers the child left behind in its group (e.g. server worker processes).
            self._signal_group(child, signal.SIGKILL)
        self.children.clear()

    @staticmethod
    def _signal_group(child: Child, signum: signal.Signals) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(child.process.pid, signum)


@contextlib.contextmanager
def _signals_to_flag(on_signal: Callable[[int], None]) -> Iterator[None]:
    def handler(signum: int, _frame: FrameType | None) -> None:
        on_signal(signum)

    previous = {sig: signal.signal(sig, handler) for sig in _HANDLED_SIGNALS}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def _as_spec(target: Target, name: str, health_url: str | None = None) -> ChildSpec:
    if isinstance(target, ChildSpec):
        return target
    if isinstance(target, str):
        msg = f"{name} target must be a command line (a list of arguments), not a string"
        raise TypeError(msg)
    return ChildSpec(name=name, argv=list(target), health_url=health_url)


def run_all(
    settings: Settings,
    *,
    api_target: Target | None = None,
    worker_target: Target | None = None,
    extra: Sequence[ChildSpec] = (),
    ready_timeout: float = 120.0,
    stop_timeout: float = 10.0,
) -> int:
    """Run the API, the worker and ``extra`` children until Ctrl-C/SIGTERM or one of them dies.

    On the embedded default it first starts the embedded Redis (and stops it last); every child
    gets its URL in ``SPOJKA_REDIS_URL``, plus ``SPOJKA_VAR_DIR``, ``SPOJKA_HOST`` and
    ``SPOJKA_PORT`` from ``settings``. Prints the public URL once every child with a health URL
    (by default the API's ``/health``) answers. Returns the exit code: 0 after a requested
    stop, 1 if a child died, never became ready, or Redis could not start. Must be called from
    the main thread (it installs signal handlers).
    """
    api = _as_spec(api_target or cli_command("api"), "api", api_health_url(settings))
    worker = _as_spec(worker_target or cli_command("worker"), "worker")
    specs = [api, worker, *extra]

    requested: list[int] = []
    supervisor = Supervisor({}, stop_timeout=stop_timeout)

    def on_signal(signum: int) -> None:
        requested.append(signum)
        if len(requested) > 1:  # a second Ctrl-C: stop waiting for graceful exits
            supervisor.force = True

    for spec in specs:
        if spec.health_url and _answers(spec.health_url):
            supervisor.echo(f"something already answers at {spec.health_url}; is Spojka already running?")
            return 1

    redis_server: EmbeddedRedis | None = None
    code = 0
    with _signals_to_flag(on_signal):
        try:
            env = dict(os.environ)
            env.update(
                SPOJKA_VAR_DIR=str(settings.var_path),
                SPOJKA_HOST=settings.host,
                SPOJKA_PORT=str(settings.port),
            )
            if settings.uses_embedded_redis:
                # die_with_parent: should this process be SIGKILLed, Redis still saves and exits.
                redis_server = EmbeddedRedis(embedded_redis_dir(settings), die_with_parent=True)
                try:
                    redis_server.start()
                except EmbeddedRedisError as exc:
                    supervisor.echo(f"cannot start the embedded Redis: {exc}")
                    return 1
                if redis_server.owned:
                    supervisor.echo(f"started embedded Redis (pid {redis_server.pid}) at {redis_server.url}")
                else:
                    supervisor.echo(f"using the embedded Redis already running at {redis_server.url}")
                env["SPOJKA_REDIS_URL"] = redis_server.url
            supervisor.env = env
            code = _supervise(supervisor, specs, settings, requested, ready_timeout)
        finally:
            if supervisor.children:
                supervisor.echo("stopping")
            supervisor.stop()
            if redis_server is not None:
                redis_server.stop()
    return code


def _supervise(
    supervisor: Supervisor,
    specs: Sequence[ChildSpec],
    settings: Settings,
    requested: list[int],
    ready_timeout: float,
) -> int:
    for spec in specs:
        if requested:
            return 0
        supervisor.start(spec)
    announced = False
    ready_deadline = time.monotonic() + ready_timeout
    while not requested:
        dead = supervisor.exited()
        if dead is not None:
            returncode = dead.process.returncode
            supervisor.echo(
                f"{dead.spec.name} exited unexpectedly ({_describe_exit(returncode)}); stopping the rest"
            )
            return 1
        if not announced:
            if supervisor.check_ready():
                announced = True
                url = settings.effective_public_url
                click.echo(f"Spojka is running at {url}  (API docs: {url}/schema). Press Ctrl-C to stop.")
            elif time.monotonic() > ready_deadline:
                waiting = ", ".join(supervisor.not_ready())
                supervisor.echo(f"{waiting} did not become ready within {ready_timeout:.0f} s; stopping")
                return 1
        time.sleep(_POLL_S)
    return 0
