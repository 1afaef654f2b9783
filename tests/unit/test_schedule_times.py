"""When scheduled flows fall due: the nightly products run keeps the merchant's wall-clock hour."""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec
import pytest

from spojka.links.flows import Flows, ProductsFlow
from spojka.runs.schedule import first_due, next_due, nightly_after


def _ts(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


def _utc(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat()


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        # Winter: Prague is UTC+1, so 02:00 there is 01:00 UTC.
        ("2026-01-15T00:30:00+00:00", "2026-01-15T01:00:00+00:00"),
        ("2026-01-15T01:00:00+00:00", "2026-01-16T01:00:00+00:00"),
        # Summer: UTC+2.
        ("2026-07-15T12:00:00+00:00", "2026-07-16T00:00:00+00:00"),
        # 29 March 2026: 02:00 does not exist in Prague (clocks go 02:00 -> 03:00); the run is at 03:00 CEST.
        ("2026-03-28T23:30:00+00:00", "2026-03-29T01:00:00+00:00"),
        # 25 October 2026: 02:00 happens twice; the first one counts.
        ("2026-10-24T23:30:00+00:00", "2026-10-25T00:00:00+00:00"),
    ],
)
def test_nightly_after_keeps_the_wall_clock_hour(now: str, expected: str) -> None:
    assert _utc(nightly_after(2, "Europe/Prague", _ts(now))) == expected


def test_the_products_flow_is_due_nightly_and_the_others_at_their_interval() -> None:
    now = _ts("2026-01-15T12:00:00+00:00")
    flows = msgspec.convert({"products": {"nightlyAtHour": 23, "timeZone": "America/New_York"}}, Flows)
    assert _utc(first_due(flows, "products", now) or 0) == "2026-01-16T04:00:00+00:00"
    assert next_due(flows, "products", now) == first_due(flows, "products", now)
    assert first_due(flows, "orders", now) == now
    assert next_due(flows, "orders", now) == now + 15 * 60
    off = msgspec.convert({"stock": {"enabled": False}}, Flows)
    assert next_due(off, "stock", now) is None


def test_an_unknown_time_zone_is_refused() -> None:
    with pytest.raises(msgspec.ValidationError, match="unknown time zone 'Mars/Olympus'"):
        msgspec.convert({"timeZone": "Mars/Olympus"}, ProductsFlow)
    with pytest.raises(msgspec.ValidationError, match="unknown time zone"):
        msgspec.convert({"timeZone": "../../etc/passwd"}, ProductsFlow)
