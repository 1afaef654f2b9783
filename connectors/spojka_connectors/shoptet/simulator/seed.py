"""A few products, stock levels and orders, the same for the same seed."""

from __future__ import annotations

import random
from decimal import Decimal

from spojka_connectors.shoptet.simulator.state import SimVariant, State

_CATALOGUE = (
    ("Hrnek smaltovaný", "HRN", Decimal("249.00"), Decimal(21), ()),
    ("Tričko bavlněné", "TRI", Decimal("399.00"), Decimal(21), ("S", "M", "L")),
    ("Kniha o kávě", "KNI", Decimal("450.00"), Decimal(12), ()),
    ("Káva zrnková 1 kg", "KAV", Decimal("689.00"), Decimal(12), ()),
)


def seed_shop(state: State, seed: int = 0, *, orders: int = 3) -> None:
    """Fill ``state`` with a small catalogue (one product with sizes), stock and ``orders`` orders."""
    rng = random.Random(seed)  # noqa: S311 (test data, not security)
    for name, prefix, price, vat, sizes in _CATALOGUE:
        codes = [f"{prefix}-{size}" for size in sizes] or [f"{prefix}-{seed:03d}"]
        variants = [
            SimVariant(
                code=code,
                price=price,
                vat_rate=vat,
                ean=f"859{rng.randrange(10**9, 10**10)}",
                name=code.rsplit("-", 1)[1] if sizes else None,
                stock=Decimal(rng.randrange(0, 40)),
                buy_price=(price * Decimal("0.55")).quantize(Decimal("0.01")),
            )
            for code in codes
        ]
        state.add_product(name, variants)
    catalogue = [v.code for p in state.products.values() for v in p.variants]
    for _ in range(orders):
        picks = rng.sample(catalogue, k=rng.randrange(1, 3))
        state.add_order([(code, Decimal(rng.randrange(1, 3))) for code in picks], company=rng.random() < 0.5)
