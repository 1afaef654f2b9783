"""The embedded Redis server: a real redis-server process on a unix socket under a temp dir."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from spojka.embedded_redis import (
    EmbeddedRedis,
    arq_settings,
    connect,
    redis_running,
    redis_url_for,
    resolve_redis_url,
)
from spojka.settings import Settings

TCP_TEST_URL = "redis://127.0.0.1:6379/15"


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture
def server(tmp_path: Path) -> Iterator[EmbeddedRedis]:
    embedded = EmbeddedRedis(tmp_path / "redis")
    embedded.start()
    try:
        yield embedded
    finally:
        embedded.stop()


def test_start_serves_on_the_unix_socket_only(server: EmbeddedRedis, tmp_path: Path) -> None:
    assert server.owned
    assert server.url == f"unix://{tmp_path / 'redis' / 'redis.sock'}"
    client = redis.Redis.from_url(server.url)
    try:
        assert client.set("greeting", "ahoj")
        assert client.get("greeting") == b"ahoj"
        assert client.config_get("port") == {"port": "0"}
        assert client.config_get("appendonly") == {"appendonly": "yes"}
    finally:
        client.close()
    assert server.pid is not None
    assert (tmp_path / "redis" / "redis.pid").read_text().strip() == str(server.pid)
    assert (tmp_path / "redis" / "redis.log").exists()


def test_second_instance_reuses_the_running_server_without_owning_it(server: EmbeddedRedis) -> None:
    other = EmbeddedRedis(server.directory).start()
    assert not other.owned
    assert other.pid == server.pid
    assert other.url == server.url
    other.stop()
    assert server.pid is not None
    assert pid_alive(server.pid)
    assert server.is_running()


def test_stop_leaves_no_process_and_data_survives_a_restart(tmp_path: Path) -> None:
    directory = tmp_path / "redis"
    with EmbeddedRedis(directory) as first:
        pid = first.pid
        assert pid is not None
        client = redis.Redis.from_url(first.url)
        # Written just before stopping: only SHUTDOWN SAVE / the AOF can have kept it.
        client.set("order:1", "paid")
        client.close()
    assert not pid_alive(pid)
    assert not first.is_running()
    assert not first.socket_path.exists()

    with EmbeddedRedis(directory) as second:
        assert second.pid != pid
        client = redis.Redis.from_url(second.url)
        try:
            assert client.get("order:1") == b"paid"
        finally:
            client.close()


def test_stale_socket_file_does_not_count_as_running(tmp_path: Path) -> None:
    directory = tmp_path / "redis"
    directory.mkdir()
    (directory / "redis.sock").write_text("left over by a crash")
    with EmbeddedRedis(directory) as server:
        assert server.owned
        assert server.is_running()


def test_long_directory_gets_a_short_socket_path(tmp_path: Path) -> None:
    directory = tmp_path / ("d" * 120)
    with EmbeddedRedis(directory) as server:
        assert len(os.fsencode(server.socket_path)) <= 100
        assert EmbeddedRedis(directory).url == server.url
        client = redis.Redis.from_url(server.url)
        try:
            assert client.ping()
        finally:
            client.close()


def test_redis_url_for_configured_url_starts_nothing(tmp_path: Path) -> None:
    settings = Settings(var_dir=str(tmp_path / "var"), redis_url=TCP_TEST_URL)
    assert redis_url_for(settings) == (TCP_TEST_URL, None)
    assert resolve_redis_url(settings) == TCP_TEST_URL
    assert not (tmp_path / "var").exists()


def test_redis_url_for_embedded_default(tmp_path: Path) -> None:
    settings = Settings(var_dir=str(tmp_path / "var"))
    assert resolve_redis_url(settings) == f"unix://{tmp_path / 'var' / 'redis' / 'redis.sock'}"
    url, server = redis_url_for(settings)
    assert server is not None
    try:
        assert server.owned
        assert url == resolve_redis_url(settings)
        with redis_running(settings) as attached_url:
            assert attached_url == url
        assert server.is_running(), "the attached context must not stop a server it does not own"
    finally:
        server.stop()
    assert not server.is_running()


async def test_connect_handles_unix_and_tcp_urls(server: EmbeddedRedis) -> None:
    for url in (server.url, TCP_TEST_URL):
        client = connect(url)
        try:
            assert await client.ping()
        finally:
            await client.aclose()


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("redis://localhost", {"host": "localhost", "port": 6379, "database": 0, "ssl": False}),
        ("redis://cache.internal:6380/2", {"host": "cache.internal", "port": 6380, "database": 2}),
        ("redis://h:6379?db=4", {"host": "h", "database": 4}),
        (
            "rediss://app:s%40cret@redis.example.com:6390/1?ssl_cert_reqs=none",
            {
                "host": "redis.example.com",
                "port": 6390,
                "database": 1,
                "ssl": True,
                "username": "app",
                "password": "s@cret",
                "ssl_cert_reqs": "none",
            },
        ),
        ("redis://:pw@h/0", {"username": None, "password": "pw"}),
        ("unix:///var/run/redis.sock", {"unix_socket_path": "/var/run/redis.sock", "database": 0}),
        (
            "unix:///tmp/r.sock?db=3&password=x",
            {"unix_socket_path": "/tmp/r.sock", "database": 3, "password": "x"},
        ),
    ],
)
def test_arq_settings_maps_urls(url: str, expected: dict[str, object]) -> None:
    settings = arq_settings(url)
    for name, value in expected.items():
        assert getattr(settings, name) == value, name


@pytest.mark.parametrize("url", ["http://h", "unix://", "redis://h:6379/notanumber"])
def test_arq_settings_rejects_bad_urls(url: str) -> None:
    with pytest.raises(ValueError, match="Redis URL"):
        arq_settings(url)
