"""A connection's remote choices for the link editor: statuses, payment methods, warehouses, ...

Read live from the remote through the connector's ``options.read`` (a few small requests), when
the merchant edits a link; nothing is stored.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Final

from spojka.connector.capabilities import OPTIONS_READ, ReadsOptions, RemoteOptions
from spojka.sync.connections import open_connection
from spojka.sync.runner import Engine

#: The editor waits no longer than this for a remote's lists.
OPTIONS_SECONDS: Final = 20.0


async def read_options(
    engine: Engine, tenant_id: uuid.UUID, connection_id: uuid.UUID, connector: str
) -> RemoteOptions | None:
    """The remote's choices, or ``None`` when its connector (``connector``, the connection's) cannot
    list them.

    Raises the connector's errors (the remote is down, the token no longer works) and
    ``TimeoutError`` after :data:`OPTIONS_SECONDS`.
    """
    # A connector that does not list options is not opened at all (nor need it offer sessions).
    entry = engine.registry.get(connector)
    if entry is not None and entry.spec is not None and OPTIONS_READ not in entry.spec.capabilities:
        return None
    async with asyncio.timeout(OPTIONS_SECONDS):
        async with open_connection(
            engine.db, engine.registry, engine.secrets, tenant_id, connection_id, redis=engine.redis
        ) as conn:
            if OPTIONS_READ not in conn.spec.capabilities or not isinstance(conn.session, ReadsOptions):
                return None
            return await conn.session.read_options()
