"""Shoptet's date-time format: ``2024-01-08T10:00:00+0100`` (whole seconds, offset without a colon).

Both the connector and the simulator speak it, so it lives here once.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Final
from zoneinfo import ZoneInfo

#: Shoptet stamps times in the e-shop's zone; Czech e-shops run on Prague time.
PRAGUE: Final = ZoneInfo("Europe/Prague")
_FORMAT: Final = "%Y-%m-%dT%H:%M:%S%z"


def format_shoptet(moment: datetime, zone: ZoneInfo = PRAGUE) -> str:
    """An aware datetime as Shoptet writes it (sub-second part dropped, not rounded)."""
    if moment.tzinfo is None:
        msg = "Shoptet date-times need an aware datetime"
        raise ValueError(msg)
    return moment.astimezone(zone).replace(microsecond=0).strftime(_FORMAT)


def parse_shoptet(text: str) -> datetime:
    """``2024-01-08T10:00:00+0100`` (a colon in the offset is accepted too) as an aware UTC datetime."""
    return datetime.strptime(text, _FORMAT).astimezone(UTC)


def whole_second(moment: datetime) -> datetime:
    """``moment`` cut to the whole second, the resolution of Shoptet's change times."""
    return moment.replace(microsecond=0)
