"""What every part of a POHODA session shares: the settings, the mServer client, sending packs."""

from __future__ import annotations

from collections.abc import Sequence

from spojka.connector.capabilities import WriteResult
from spojka.connector.errors import RetriableError
from spojka_connectors.pohoda.client import MServerClient
from spojka_connectors.pohoda.pack import PackItem, data_pack
from spojka_connectors.pohoda.replies import ItemReply, item_message, read_pack
from spojka_connectors.pohoda.spec import PohodaSettings


class SessionBase:
    """The settings and client of one session, and the data-pack round trip."""

    def __init__(self, cfg: PohodaSettings, client: MServerClient) -> None:
        self.cfg = cfg
        self.client = client
        #: Ext ids this session looked up and POHODA did not have. The engine calls find_orders and
        #: then create_orders for the rest: those need no second lookup (it would cost POHODA a
        #: list request per order). Sending an order drops its ext id from here.
        self._absent: set[str] = set()

    # -- transport -------------------------------------------------------------------------------
    async def _send(
        self, purpose: str, note: str, items: Sequence[PackItem], *, read_only: bool
    ) -> dict[str, ItemReply]:
        body = data_pack(
            ico=self.cfg.ico, application=self.cfg.application, purpose=purpose, note=note, items=items
        )
        replies = read_pack(await self.client.send(body, read_only=read_only))
        missing = [item.id for item in items if item.id not in replies]
        if missing:
            raise RetriableError(
                f"POHODA did not answer for {len(missing)} of the documents sent; trying again later."
            )
        return replies

    async def _list(self, purpose: str, requests: Sequence[PackItem]) -> dict[str, ItemReply]:
        replies = await self._send(purpose, "Export pro Spojku", requests, read_only=True)
        for reply in replies.values():
            if not reply.ok:
                raise RetriableError(item_message("a list request", reply))
        return replies


def failed(key: str, message: str, *, target_id: str | None = None) -> WriteResult:
    return WriteResult(key=key, outcome="failed", target_id=target_id, message=message)
