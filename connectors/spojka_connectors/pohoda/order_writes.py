"""``orders.write``, ``orders.delete`` and ``invoices.write``: received orders and their invoices.

Before creating orders the session looks them up by extId, so a retry finds what an earlier
attempt created; when the answer to an import is lost, it looks them up again instead of guessing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Final

from spojka.connector.capabilities import OrderWrite, WriteResult
from spojka.connector.errors import RecordError, RetriableError
from spojka_connectors.pohoda import documents, lists
from spojka_connectors.pohoda.base import SessionBase, failed
from spojka_connectors.pohoda.pack import PackItem, short_id
from spojka_connectors.pohoda.replies import item_message, warning_words

#: Lookups by extId: one list request per ext id, this many per pack.
_LOOKUPS_PER_PACK: Final = 200


class OrderWrites(SessionBase):
    """The order and invoice capabilities of a session."""

    # -- orders.write -----------------------------------------------------------------------------
    async def _lookup(self, ext_ids: Sequence[str]) -> dict[str, lists.ListedOrder]:
        found: dict[str, lists.ListedOrder] = {}
        unique = list(dict.fromkeys(ext_ids))
        for start in range(0, len(unique), _LOOKUPS_PER_PACK):
            chunk = unique[start : start + _LOOKUPS_PER_PACK]
            requests = [
                PackItem(short_id("find", ext_id), lists.orders_request(self.cfg, ext_id=ext_id))
                for ext_id in chunk
            ]
            replies = await self._list("find-orders", requests)
            for ext_id, request in zip(chunk, requests, strict=True):
                body = replies[request.id].body
                orders = lists.read_orders(body) if body is not None else []
                match = next((o for o in orders if o.ext_id == ext_id), orders[0] if orders else None)
                if match is not None:
                    found[ext_id] = match
                    self._absent.discard(ext_id)
                else:
                    self._absent.add(ext_id)
        return found

    async def find_orders(self, ext_ids: Sequence[str]) -> dict[str, str]:
        """ext id → POHODA id of the received orders already there (one data pack of list requests)."""
        return {ext_id: str(order.id) for ext_id, order in (await self._lookup(ext_ids)).items()}

    async def create_orders(self, writes: Sequence[OrderWrite]) -> list[WriteResult]:
        """Received orders, one result each; those already in POHODA (by extId) are ``unchanged``.

        Every order is looked up by its extId first, unless this session's ``find_orders`` just
        found it absent. If POHODA has it all the same (a concurrent run), its extId or batch
        duplicity check refuses the twin and the result names the order already there.
        """
        results: dict[str, WriteResult] = {}
        existing = await self._lookup([w.ext_id for w in writes if w.ext_id not in self._absent])
        self._absent.difference_update(w.ext_id for w in writes)
        pending: list[tuple[OrderWrite, PackItem]] = []
        seen: set[str] = set()
        for write in writes:
            if write.ext_id in seen:
                continue  # the same ext id twice in one call: one order, one result for both
            seen.add(write.ext_id)
            found = existing.get(write.ext_id)
            if found is not None:
                results[write.ext_id] = WriteResult(
                    key=write.ext_id,
                    outcome="unchanged",
                    target_id=str(found.id),
                    message=f"Order {write.order.number} is already in POHODA as {found.number}.",
                )
                continue
            try:
                document = documents.order_document(write, self.cfg)
            except RecordError as exc:
                results[write.ext_id] = failed(write.ext_id, f"Order {write.order.number}: {exc.message}")
                continue
            pending.append((write, PackItem(short_id("ord", write.ext_id), document)))
        for start in range(0, len(pending), self.cfg.batch_size):
            batch = pending[start : start + self.cfg.batch_size]
            results.update(await self._create_batch(batch))
        return [results[w.ext_id] for w in writes]

    async def _create_batch(
        self, batch: Sequence[tuple[OrderWrite, PackItem]], *, purpose: str = "orders"
    ) -> dict[str, WriteResult]:
        try:
            replies = await self._send(
                purpose, "Objednávky z e-shopu", [item for _, item in batch], read_only=False
            )
        except RetriableError as exc:
            if exc.details.get("status") is not None:
                raise  # refused before processing (503...): nothing was imported
            # The answer was lost: POHODA may have imported some or all. Ask instead of guessing.
            return await self._after_lost_answer(batch, exc)
        results: dict[str, WriteResult] = {}
        duplicates: list[tuple[OrderWrite, PackItem]] = []
        for write, item in batch:
            reply = replies[item.id]
            if reply.ok:
                results[write.ext_id] = WriteResult(
                    key=write.ext_id,
                    outcome="created",
                    target_id=reply.produced_id,
                    message=f"Received order {reply.produced_number} in POHODA.{warning_words(reply)}",
                )
            elif reply.duplicate_of is not None or any(d.errno == "116" for d in reply.errors):
                duplicates.append((write, item))
            else:
                results[write.ext_id] = failed(
                    write.ext_id, item_message(f"order {write.order.number}", reply)
                )
        if duplicates:
            results.update(await self._imported_before(duplicates, resent=purpose != "orders"))
        return results

    async def _imported_before(
        self, duplicates: Sequence[tuple[OrderWrite, PackItem]], *, resent: bool
    ) -> dict[str, WriteResult]:
        """POHODA says these were imported before (same extId, or the very same pack item)."""
        found = await self._lookup([w.ext_id for w, _ in duplicates])
        results: dict[str, WriteResult] = {}
        gone: list[tuple[OrderWrite, PackItem]] = []
        for write, item in duplicates:
            order = found.get(write.ext_id)
            if order is not None:
                results[write.ext_id] = WriteResult(
                    key=write.ext_id,
                    outcome="unchanged",
                    target_id=str(order.id),
                    message=f"Order {write.order.number} is already in POHODA as {order.number}.",
                )
            else:
                gone.append((write, item))
        if gone and not resent:
            # The batch was imported once and the order deleted in POHODA since: the batch
            # duplicity check would refuse the same pack forever, so send it as a new batch.
            stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
            results.update(await self._create_batch(gone, purpose=f"again{stamp}"))
        for write, _ in gone if resent else ():
            results[write.ext_id] = failed(
                write.ext_id,
                f"POHODA refused order {write.order.number} as imported before, yet it is not there.",
            )
        return results

    async def _after_lost_answer(
        self, batch: Sequence[tuple[OrderWrite, PackItem]], lost: RetriableError
    ) -> dict[str, WriteResult]:
        found = await self._lookup([w.ext_id for w, _ in batch])
        results = {}
        for write, _ in batch:
            order = found.get(write.ext_id)
            if order is not None:
                results[write.ext_id] = WriteResult(
                    key=write.ext_id,
                    outcome="created",
                    target_id=str(order.id),
                    message=(
                        f"Received order {order.number} in POHODA (the mServer's answer was lost; the order "
                        "was found by its external id)."
                    ),
                )
            else:
                results[write.ext_id] = WriteResult(
                    key=write.ext_id,
                    outcome="failed",
                    retriable=True,
                    message=(
                        f"Order {write.order.number} was not imported: {lost.message}. "
                        "It is sent again next run."
                    ),
                )
        return results

    # -- orders.delete -------------------------------------------------------------------------
    async def delete_order(self, target_id: str) -> WriteResult:
        """Delete a received order nobody has settled or invoiced yet; gone already is ``unchanged``."""
        request = PackItem(short_id("get", target_id), lists.orders_request(self.cfg, order_id=target_id))
        body = (await self._list("get-order", [request]))[request.id].body
        listed = lists.read_orders(body) if body is not None else []
        if not listed:
            return WriteResult(
                key=target_id, outcome="unchanged", message="The order is no longer in POHODA."
            )
        order = listed[0]
        if order.is_executed:
            return failed(
                target_id,
                f"Order {order.number} is already settled in POHODA and cannot be deleted.",
                target_id=target_id,
            )
        item = PackItem(short_id("del", target_id), documents.delete_order_document(target_id))
        reply = (await self._send("delete-order", "Smazání objednávky", [item], read_only=False))[item.id]
        if not reply.ok:
            return failed(
                target_id, item_message(f"deleting order {order.number}", reply), target_id=target_id
            )
        return WriteResult(
            key=target_id,
            outcome="updated",
            target_id=target_id,
            message=f"Deleted order {order.number} in POHODA.",
        )

    # -- invoices.write ------------------------------------------------------------------------
    async def create_invoice(self, order_target_id: str, write: OrderWrite) -> WriteResult:
        """An issued invoice made from the received order; one that exists (by extId) is ``unchanged``."""
        key = write.ext_id
        lookup = PackItem(short_id("find-inv", key), lists.invoices_request(self.cfg, ext_id=key))
        body = (await self._list("find-invoice", [lookup]))[lookup.id].body
        existing = lists.read_invoices(body) if body is not None else []
        if existing:
            invoice_id, number = existing[0]
            return WriteResult(
                key=key,
                outcome="unchanged",
                target_id=str(invoice_id),
                message=f"Invoice {number} exists already.",
            )
        item = PackItem(short_id("inv", key), documents.invoice_document(order_target_id, write, self.cfg))
        try:
            reply = (await self._send("invoice", "Faktura k objednávce", [item], read_only=False))[item.id]
        except RetriableError as exc:
            if exc.details.get("status") is not None:
                raise
            return await self.create_invoice(order_target_id, write)  # lost answer: look it up
        if not reply.ok:
            return failed(key, item_message(f"the invoice of order {write.order.number}", reply))
        return WriteResult(
            key=key,
            outcome="created",
            target_id=reply.produced_id,
            message=f"Issued invoice {reply.produced_number} from the order.{warning_words(reply)}",
        )
