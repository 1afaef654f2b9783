"""The e-shop's choices for a link's mappings (``options.read``), valued as the orders carry them.

Each :class:`~spojka.connector.capabilities.Option`'s value is exactly what
:func:`~spojka_connectors.shoptet.mapping.order_from_shoptet` puts into a canonical order, because
the link's maps are keyed by it:

- order statuses (``GET /api/orders/statuses``): the status id as text, or the name the
  ``statusMapping`` setting gives it (``Order.status``); ids mapped to one name are one option;
- payment and shipping methods (``GET /api/payment-methods``, ``GET /api/shipping-methods``, both
  unpaged): the method's GUID (``Order.payment.code``, ``Order.shipping.code``);
- VAT rates (``taxClasses`` of ``GET /api/eshop``, every zone): the percentage in plain notation
  without trailing zeros ("21", "12", "10.5"), the way the link's VAT map is keyed; 0 % is always
  offered, for orders without VAT (reverse charge, outside the EU, an e-shop not paying VAT).

Labels are the e-shop's own names. The four requests go through the session's client, so the
token's limits and retries apply; they run one after another, and any failure fails the read.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any, Final, TypeVar

import msgspec

from spojka.connector import FatalError
from spojka.connector.capabilities import Option, RemoteOptions
from spojka_connectors.shoptet import wire
from spojka_connectors.shoptet.client import ShoptetClient
from spojka_connectors.shoptet.spec import ShoptetSettings

NO_VAT_LABEL: Final = "0 % (bez DPH)"

T = TypeVar("T", bound=wire.Wire)


def vat_key(rate: Decimal) -> str:
    """A VAT percentage as the link's VAT map keys it: plain notation, no trailing zeros."""
    text = format(rate.normalize(), "f")
    return "0" if text in ("-0", "") else text


def _percent(key: str) -> str:
    return f"{key.replace('.', ',')} %"


def _merged(pairs: Iterable[tuple[str, str]]) -> tuple[Option, ...]:
    """One option per value, in first-seen order; labels of a repeated value are joined."""
    labels: dict[str, list[str]] = {}
    for value, label in pairs:
        if not value:
            continue
        seen = labels.setdefault(value, [])
        if label and label not in seen:
            seen.append(label)
    return tuple(Option(value=v, label=" / ".join(names) or v) for v, names in labels.items())


def order_statuses(data: wire.OrderStatuses, settings: ShoptetSettings) -> tuple[Option, ...]:
    ordered = sorted(data.statuses, key=lambda s: s.order)
    return _merged(
        (settings.status_mapping.get(str(s.id), str(s.id)), s.name.strip() or str(s.id)) for s in ordered
    )


def methods(listed: list[wire.Method]) -> tuple[Option, ...]:
    return _merged((m.guid, m.name.strip() or m.guid) for m in listed)


def vat_rates(eshop: wire.Eshop) -> tuple[Option, ...]:
    names: dict[str, list[str]] = {}
    for tax_class in eshop.tax_classes:
        first_zone = tax_class.rates[0].zone if tax_class.rates else ""
        for rate in tax_class.rates:
            name = tax_class.title if rate.zone == first_zone else f"{tax_class.title}, {rate.zone}"
            seen = names.setdefault(vat_key(rate.vat_rate), [])
            if name and name not in seen:
                seen.append(name)
    options = [
        Option(value=key, label=f"{_percent(key)} ({'; '.join(titles)})" if titles else _percent(key))
        for key, titles in names.items()
    ]
    if "0" not in names:
        options.append(Option(value="0", label=NO_VAT_LABEL))
    return tuple(sorted(options, key=lambda o: -Decimal(o.value)))


async def _read(api: ShoptetClient, path: str, shape: type[T], what: str) -> T:
    response = await api.call("GET", path)
    data: Any = response.data
    try:
        return msgspec.convert(data, shape)
    except msgspec.ValidationError as exc:
        raise FatalError(f"Shoptet answered the {what} in an unexpected shape: {exc}") from None


async def read_options(api: ShoptetClient, settings: ShoptetSettings) -> RemoteOptions:
    """The e-shop's order statuses, payment and shipping methods and VAT rates."""
    statuses = await _read(api, "/api/orders/statuses", wire.OrderStatuses, "order statuses")
    payments = await _read(api, "/api/payment-methods", wire.PaymentMethods, "payment methods")
    shippings = await _read(api, "/api/shipping-methods", wire.ShippingMethods, "shipping methods")
    eshop = await _read(api, "/api/eshop", wire.Eshop, "e-shop information")
    return RemoteOptions(
        order_statuses=order_statuses(statuses, settings),
        payment_methods=methods(payments.payment_methods),
        shipping_methods=methods(shippings.shipping_methods),
        vat_rates=vat_rates(eshop),
    )
