"""Cursors of the ``lastChanges`` reads (stock, fulfilments): where a pass is, and where the next starts.

A *pass* reads every record changed at or after ``since`` (everything when ``since`` is absent)
and stops at ``to`` (the ``until`` of the run that started it): records changed at or after ``to``
are left out of the pass and read by the next one, which starts at ``since = to``. Within a pass,
pages go by ascending record id, so a cursor in the middle of a pass says "the pass since S up to
T, after record id N" and resuming it reads exactly the rest.

Encoding: ``pohoda:<stream>:v1|<since>|<to>|<after>`` with ISO times in UTC, ``-`` for none.

POHODA compares ``lastChanges`` with its own clock (local time, sent without an offset), while
``to`` comes from Spojka's: the two machines' clocks must agree (NTP), or a change made in the
seconds they differ by is read late (POHODA's clock behind) or skipped (POHODA's clock ahead).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from spojka.connector.errors import FatalError


@dataclass(frozen=True, slots=True)
class Position:
    """Where a read stands: ``to is None`` means "between passes"."""

    since: datetime | None
    to: datetime | None = None
    after: int = 0


def encode(stream: str, position: Position) -> str:
    def when(moment: datetime | None) -> str:
        return moment.astimezone(UTC).isoformat(timespec="microseconds") if moment is not None else "-"

    return f"pohoda:{stream}:v1|{when(position.since)}|{when(position.to)}|{position.after}"


def decode(stream: str, cursor: str | None) -> Position:
    """The position a cursor stands for; ``None`` is the start of everything."""
    if cursor is None:
        return Position(since=None)
    prefix = f"pohoda:{stream}:v1|"
    if not cursor.startswith(prefix):
        raise FatalError(f"The saved position {cursor!r} was not written by the POHODA {stream} read.")
    try:
        since, to, after = cursor[len(prefix) :].split("|")
        return Position(since=_when(since), to=_when(to), after=int(after))
    except ValueError:
        raise FatalError(f"The saved position {cursor!r} of the POHODA {stream} read is damaged.") from None


def _when(text: str) -> datetime | None:
    if text == "-":
        return None
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError(text)
    return moment
