"""The connector's small pure pieces: cursors, pack ids, and the words of POHODA's refusals."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from lxml import etree

from spojka.connector import ConfigError, FatalError
from spojka_connectors.pohoda import cursors
from spojka_connectors.pohoda.pack import PackItem, pack_id, short_id
from spojka_connectors.pohoda.replies import Detail, ItemReply, item_message, pack_error
from spojka_connectors.pohoda.simulator.state import PACK_FAULT_NOTES
from spojka_connectors.pohoda.xmlns import fmt_datetime, parse_datetime, q


def test_cursors_round_trip_and_refuse_strangers() -> None:
    moment = datetime(2026, 3, 29, 1, 30, 0, 123456, tzinfo=UTC)  # the night the clocks go forward
    for position in (
        cursors.Position(since=None),
        cursors.Position(since=moment),
        cursors.Position(since=None, to=moment, after=41),
    ):
        assert cursors.decode("stock", cursors.encode("stock", position)) == position
    assert cursors.decode("stock", None) == cursors.Position(since=None)
    with pytest.raises(FatalError, match="not written by the POHODA stock read"):
        cursors.decode("stock", cursors.encode("fulfilments", cursors.Position(since=moment)))
    with pytest.raises(FatalError, match="damaged"):
        cursors.decode("stock", "pohoda:stock:v1|yesterday|-|0")


def test_pohoda_local_time_round_trips() -> None:
    moment = datetime(2026, 7, 1, 10, 0, 0, 5, tzinfo=UTC)
    assert fmt_datetime(moment) == "2026-07-01T12:00:00.000005"  # Prague summer time, no offset
    assert parse_datetime(fmt_datetime(moment)) == moment


def _item(item_id: str, text: str) -> PackItem:
    element = etree.Element(q("ord:order"))
    element.text = text
    return PackItem(item_id, element)


def test_pack_ids_depend_on_the_content_and_fit_pohoda() -> None:
    same = pack_id("orders", [_item("ord-1", "a")])
    assert same == pack_id("orders", [_item("ord-1", "a")])
    assert same != pack_id("orders", [_item("ord-1", "b")])
    assert len(pack_id("a-very-long-purpose-name-that-goes-on-and-on", [_item("x", "y")])) <= 64
    assert short_id("ord", "ext-1") == "ord-ext-1"
    long = short_id("ord", "x" * 80)
    assert len(long) <= 64
    assert long == short_id("ord", "x" * 80)


@pytest.mark.parametrize(
    ("fault", "error", "words"),
    [
        ("no_rights", FatalError, "may not import XML"),
        ("licence_busy", FatalError, "licences are in use"),
        ("cannot_open_database", FatalError, "cannot open the company's database"),
    ],
)
def test_pack_refusals_say_what_to_do(fault: str, error: type[Exception], words: str) -> None:
    raised = pack_error(PACK_FAULT_NOTES[fault])
    assert isinstance(raised, error)
    assert words in raised.message
    assert PACK_FAULT_NOTES[fault] in raised.message


def test_ico_and_unknown_refusals() -> None:
    assert isinstance(pack_error("IČO 87654321 v XML neodpovídá IČO otevřené účetní jednotky."), ConfigError)
    unknown = pack_error("")
    assert isinstance(unknown, FatalError)
    assert "no reason" in unknown.message


def test_item_message_names_the_place_in_words() -> None:
    reply = ItemReply(
        id="ord-1",
        ok=False,
        details=(
            Detail(
                state="error",
                errno="108",
                note="Neznámá hodnota.",
                xpath="/dat:dataPack/dat:dataPackItem[1]/ord:order/ord:orderHeader/ord:paymentType/typ:ids",
                value="Bitcoin",
            ),
        ),
    )
    message = item_message("order 2024000001", reply)
    assert message == (
        "POHODA refused order 2024000001: Neznámá hodnota (error 108, at payment type, value “Bitcoin”)."
    )
