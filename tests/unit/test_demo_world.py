"""The demo keeps its simulated shop and books across restarts, writing only what changed."""

from __future__ import annotations

from pathlib import Path

from spojka.demo.world import World


def test_the_world_is_written_when_it_changed_and_resumed_as_saved(tmp_path: Path) -> None:
    world = World.load_or_create(tmp_path)
    shop_file, books_file = tmp_path / "shoptet.pickle", tmp_path / "pohoda.pickle"
    written = (shop_file.stat().st_mtime_ns, books_file.stat().st_mtime_ns)
    shop_file.touch()  # a newer time stamp that a needless rewrite would replace
    touched = shop_file.stat().st_mtime_ns
    world.save()
    assert (shop_file.stat().st_mtime_ns, books_file.stat().st_mtime_ns) == (touched, written[1])

    order = world.shop.add_order()
    world.save()
    assert shop_file.stat().st_mtime_ns != touched
    assert books_file.stat().st_mtime_ns == written[1]  # the books did not change

    resumed = World.load_or_create(tmp_path)
    assert order.code in resumed.shop.orders
    assert len(resumed.shop.orders) == len(world.shop.orders)
