"""The schedule of due flows: a Redis sorted set of ``tenant:link:flow`` scored by when it is due.

A tick reads only what is due (``ZRANGEBYSCORE``), so its cost follows the number of due flows,
not the number of links. The API keeps the set in step when links change; the worker rebuilds it
from the database when Redis lost it.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from datetime import time as dt_time
from zoneinfo import ZoneInfo

from redis.asyncio import Redis

from spojka.links.flows import Flows

SCHEDULE_KEY = "spojka:schedule"
BUILT_KEY = "spojka:schedule:built"
SCHEDULED_FLOWS = ("orders", "stock", "products", "fulfilment")
DAY = 24 * 3600


@dataclass(frozen=True, slots=True)
class Due:
    tenant_id: uuid.UUID
    link_id: uuid.UUID
    flow: str

    @property
    def member(self) -> str:
        return f"{self.tenant_id}:{self.link_id}:{self.flow}"

    @classmethod
    def parse(cls, member: str | bytes) -> Due:
        text = member.decode() if isinstance(member, bytes) else member
        tenant, link, flow = text.split(":")
        return cls(uuid.UUID(tenant), uuid.UUID(link), flow)


def interval_seconds(flows: Flows, flow: str) -> int | None:
    """How often a flow runs on its own; None when it is off."""
    if flow == "orders":
        return flows.orders.every_minutes * 60 if flows.orders.enabled else None
    if flow == "stock":
        return flows.stock.every_minutes * 60 if flows.stock.enabled else None
    if flow == "fulfilment":
        return flows.fulfilment.every_minutes * 60 if flows.fulfilment.enabled else None
    if flow == "products":
        return DAY if flows.products.enabled else None
    return None


def nightly_after(hour: int, time_zone: str, now: float) -> float:
    """The first ``hour``:00 wall-clock time in ``time_zone`` after ``now`` (a Unix time)."""
    zone = ZoneInfo(time_zone)
    local = datetime.fromtimestamp(now, zone)
    for days in range(3):
        day = (local + timedelta(days=days)).date()
        # An hour skipped by daylight saving time resolves to the hour after the change.
        at = datetime.combine(day, dt_time(hour), tzinfo=zone).timestamp()
        if at > now:
            return at
    raise AssertionError("unreachable: one of three days has the hour ahead")


def first_due(flows: Flows, flow: str, now: float) -> float | None:
    """When a flow just put on the schedule is first due: now, or the next nightly hour."""
    interval = interval_seconds(flows, flow)
    if interval is None:
        return None
    if flow == "products":
        return nightly_after(flows.products.nightly_at_hour, flows.products.time_zone, now)
    return now


def next_due(flows: Flows, flow: str, now: float) -> float | None:
    """When a flow that is due at ``now`` is due again (``None``: off)."""
    interval = interval_seconds(flows, flow)
    if interval is None:
        return None
    if flow == "products":
        # Not now + 24 h: that drifts with late ticks and across daylight saving time.
        return nightly_after(flows.products.nightly_at_hour, flows.products.time_zone, now)
    return now + interval


async def schedule_link(
    redis: Redis,
    tenant_id: uuid.UUID,
    link_id: uuid.UUID,
    flows: Flows,
    *,
    paused: bool,
    now: float | None = None,
) -> None:
    """Put a link's flows on the schedule (or take them off), keeping due times already set."""
    await schedule_links(redis, [(tenant_id, link_id, flows, paused)], now=now)


async def schedule_links(
    redis: Redis,
    links: Sequence[tuple[uuid.UUID, uuid.UUID, Flows, bool]],
    *,
    now: float | None = None,
) -> None:
    """:func:`schedule_link` for many ``(tenant id, link id, flows, paused)`` in one round trip."""
    now = time.time() if now is None else now
    async with redis.pipeline(transaction=True) as pipe:
        for tenant_id, link_id, flows, paused in links:
            for flow in SCHEDULED_FLOWS:
                member = Due(tenant_id, link_id, flow).member
                when = None if paused else first_due(flows, flow, now)
                if when is None:
                    pipe.zrem(SCHEDULE_KEY, member)
                else:
                    pipe.zadd(SCHEDULE_KEY, {member: when}, nx=True)
        await pipe.execute()


async def due_times(redis: Redis, tenant_id: uuid.UUID, link_id: uuid.UUID) -> dict[str, float | None]:
    """When each of a link's flows is next due (Unix time; ``None``: not on the schedule)."""
    async with redis.pipeline(transaction=False) as pipe:
        for flow in SCHEDULED_FLOWS:
            pipe.zscore(SCHEDULE_KEY, Due(tenant_id, link_id, flow).member)
        scores = await pipe.execute()
    return {
        flow: None if score is None else float(score)
        for flow, score in zip(SCHEDULED_FLOWS, scores, strict=True)
    }


async def unschedule_link(redis: Redis, tenant_id: uuid.UUID, link_id: uuid.UUID) -> None:
    await redis.zrem(SCHEDULE_KEY, *(Due(tenant_id, link_id, f).member for f in SCHEDULED_FLOWS))


async def due(redis: Redis, now: float, limit: int) -> list[Due]:
    members = await redis.zrangebyscore(SCHEDULE_KEY, "-inf", now, start=0, num=limit)
    return [Due.parse(m) for m in members]
