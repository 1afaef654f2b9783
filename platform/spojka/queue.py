"""The enqueue side of the job queue: what API code needs to hand work to ``spojka worker``.

Jobs travel as JSON (never pickle: a pickle from Redis is code execution for whoever can write
to it), so job arguments must be JSON types: pass small ids, not objects. The worker uses the
same serializer pair from here. This module must stay free of worker imports.
"""

from __future__ import annotations

import socket
from typing import Any

import msgspec
from arq.connections import ArqRedis, create_pool

from spojka.embedded_redis import arq_settings

__all__ = (
    "DEFAULT_QUEUE_NAME",
    "KEY_PREFIX",
    "WORKER_HEALTH_KEY_PREFIX",
    "JobError",
    "create_queue_pool",
    "deserialize_job",
    "key",
    "serialize_job",
    "worker_health_key",
)

KEY_PREFIX = "spojka:"
"""Prefix of every Redis key Spojka itself names (arq's own job keys stay ``arq:job:…``)."""

DEFAULT_QUEUE_NAME = f"{KEY_PREFIX}queue"
"""The queue ``spojka worker`` serves and the pool enqueues to by default."""

WORKER_HEALTH_KEY_PREFIX = f"{KEY_PREFIX}health:worker:"
"""Followed by the host name: each worker host records its own health, so a liveness probe in
one pod is not satisfied by a worker in another."""

_ERROR_TAG = "__error__"


def key(*parts: str) -> str:
    """A Redis key in Spojka's namespace: ``key("lock", "pipe", id)`` → ``spojka:lock:pipe:<id>``."""
    return KEY_PREFIX + ":".join(parts)


def worker_health_key(hostname: str | None = None) -> str:
    """The health-check key a worker on ``hostname`` (default: this host) keeps fresh."""
    return WORKER_HEALTH_KEY_PREFIX + (hostname or socket.gethostname())


class JobError(Exception):
    """A job failed in the worker; raised by ``Job.result()`` in its exception's place."""

    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(error_type, message)
        self.error_type = error_type
        self.message = message

    def __str__(self) -> str:
        return f"{self.error_type}: {self.message}" if self.message else self.error_type


def _encode_extra(obj: Any) -> Any:
    # arq stores a failed job's exception as its result; keep its type and message only.
    if isinstance(obj, JobError):
        return {_ERROR_TAG: obj.error_type, "message": obj.message}
    if isinstance(obj, BaseException):
        cls = type(obj)
        return {_ERROR_TAG: f"{cls.__module__}.{cls.__qualname__}", "message": str(obj)}
    msg = f"cannot put a {type(obj).__name__} in a job; pass JSON types (ids, strings, numbers)"
    raise NotImplementedError(msg)


_encoder = msgspec.json.Encoder(enc_hook=_encode_extra)
_decoder = msgspec.json.Decoder()


def serialize_job(data: dict[str, Any]) -> bytes:
    """arq ``job_serializer``: the job (or result) envelope as JSON."""
    return _encoder.encode(data)


def deserialize_job(raw: bytes) -> dict[str, Any]:
    """arq ``job_deserializer``: the inverse of ``serialize_job``; failures come back as ``JobError``."""
    data = _decoder.decode(raw)
    if not isinstance(data, dict):
        msg = "job payload is not a JSON object"
        raise TypeError(msg)
    result = data.get("r")
    if isinstance(result, dict) and _ERROR_TAG in result:
        data["r"] = JobError(str(result[_ERROR_TAG]), str(result.get("message", "")))
    return data


async def create_queue_pool(url: str) -> ArqRedis:
    """An arq pool for enqueueing Spojka jobs on the Redis at ``url``. Close it with ``aclose()``."""
    return await create_pool(
        arq_settings(url),
        job_serializer=serialize_job,
        job_deserializer=deserialize_job,
        default_queue_name=DEFAULT_QUEUE_NAME,
    )
