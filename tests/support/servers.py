"""Real HTTP servers for tests: an ASGI app on a free loopback port, and a port nobody listens on."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from spojka.connector.simulation import serving

__all__ = ("private_redis_url", "refused_port", "serving")


@contextmanager
def refused_port() -> Iterator[int]:
    """A loopback port that is bound but not listening, so connecting to it is refused."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    try:
        yield sock.getsockname()[1]
    finally:
        sock.close()


def private_redis_url(url: str, db: int) -> str:
    """The same Redis server as ``url``, database ``db`` (for a test whose keys must not meet
    other tests'): ``redis://h:6379/9`` → ``redis://h:6379/<db>``, ``unix:///s`` → ``unix:///s?db=<db>``."""
    parts = urlsplit(url)
    if parts.scheme == "unix":
        query = [(k, v) for k, v in parse_qsl(parts.query) if k != "db"] + [("db", str(db))]
        return urlunsplit(parts._replace(query=urlencode(query)))
    return urlunsplit(parts._replace(path=f"/{db}"))
