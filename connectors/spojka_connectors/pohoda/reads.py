"""Incremental reads over ``lastChanges`` and id paging: the pass logic of :mod:`.cursors`.

The mServer takes one request at a time and a big page takes it a while to export, so the next
page is asked for as soon as the current one's last id is known, and the current one is decoded in
a worker thread meanwhile: the connector's own parsing then overlaps POHODA's work instead of
adding to it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, Generic, TypeVar

from spojka_connectors.pohoda import cursors

#: Exclusion reads (records changed during the run) ask for the most POHODA gives in one page.
MAX_PAGE: Final = 10000
#: Below this many records a page is decoded at once: a thread costs more than it saves.
_THREAD_FROM: Final = 500

_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class Fetched(Generic[_T]):
    """One page as it arrived: how many records, the last id, and how to decode the records."""

    count: int
    last_id: int
    decode: Callable[[], list[tuple[int, _T]]]


Fetch = Callable[[datetime | None, int, int], Coroutine[Any, Any, Fetched[_T]]]


async def _all_ids(fetch: Fetch[_T], since: datetime) -> set[int]:
    ids: set[int] = set()
    id_from = 1
    while True:
        fetched = await fetch(since, id_from, MAX_PAGE)
        ids.update(record_id for record_id, _ in fetched.decode())
        if fetched.count < MAX_PAGE:
            return ids
        id_from = fetched.last_id + 1


async def changes(
    stream: str, cursor: str | None, until: datetime, fetch: Fetch[_T], page_size: int
) -> AsyncIterator[tuple[list[_T], str]]:
    """Pages of one pass (see :mod:`.cursors`): the records and the cursor after them."""
    position = cursors.decode(stream, cursor)
    since = position.since
    to = until if position.to is None else min(position.to, until)
    after = position.after if position.to is not None else 0
    # Records changed at or after `to` belong to the next pass: leave them out of this one.
    excluded = await _all_ids(fetch, to)
    fetched = await fetch(since, after + 1, page_size)
    following_page: asyncio.Task[Fetched[_T]] | None = None
    try:
        while True:
            done = fetched.count < page_size
            last = fetched.last_id if fetched.count else after
            if not done:
                following_page = asyncio.create_task(fetch(since, last + 1, page_size))
                await asyncio.sleep(0)  # let the request go out before decoding this page
            records = (
                await asyncio.to_thread(fetched.decode) if fetched.count >= _THREAD_FROM else fetched.decode()
            )
            kept = [record for record_id, record in records if record_id not in excluded]
            position = (
                cursors.Position(since=to) if done else cursors.Position(since=since, to=to, after=last)
            )
            yield kept, cursors.encode(stream, position)
            if following_page is None:
                return
            fetched = await following_page
            following_page = None
            after = last
    finally:
        if following_page is not None:
            # The reader stopped early: do not leave a request running on the connection.
            following_page.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await following_page
