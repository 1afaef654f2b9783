"""The simulated records in the shapes of Shoptet's OpenAPI file (strings for money, ``+hhmm`` times)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from spojka_connectors.shoptet.dates import format_shoptet
from spojka_connectors.shoptet.simulator.state import (
    SimAddress,
    SimItem,
    SimOrder,
    SimProduct,
    SimVariant,
    State,
    money,
    net_of,
)


def cents(value: Decimal) -> str:
    return f"{money(value):.2f}"


def amount(value: Decimal) -> str:
    return f"{value:.3f}"


def rate(value: Decimal) -> str:
    return f"{value:.2f}"


def _price(gross: Decimal, vat_rate: Decimal) -> dict[str, str]:
    net = net_of(gross, vat_rate)
    return {
        "withVat": cents(gross),
        "withoutVat": cents(net),
        "vat": cents(gross - net),
        "vatRate": rate(vat_rate),
    }


def _status(state: State, status_id: int) -> dict[str, Any]:
    return {"id": status_id, "name": state.status_name(status_id)}


def _order_price(order: SimOrder) -> dict[str, Any]:
    gross, net = order.price_with_vat, order.price_without_vat
    return {
        "vat": cents(gross - net),
        "toPay": cents(gross),
        "currencyCode": order.currency,
        "withoutVat": cents(net),
        "withVat": cents(gross),
        "exchangeRate": f"{order.exchange_rate:.8f}",
        "invoicingExchangeRate": f"{order.exchange_rate:.8f}",
    }


def order_summary(state: State, order: SimOrder) -> dict[str, Any]:
    """An item of ``GET /api/orders``."""
    return {
        "code": order.code,
        "guid": order.guid,
        "creationTime": format_shoptet(order.creation_time),
        "changeTime": format_shoptet(order.change_time),
        "fullName": order.billing.full_name,
        "company": order.billing.company,
        "email": order.email,
        "phone": order.phone,
        "remark": order.customer_remark,
        "customerGuid": None,
        "cashDeskOrder": False,
        "adminUrl": f"{state.url.rstrip('/')}/admin/objednavky-detail/?code={order.code}",
        "status": _status(state, order.status_id),
        "source": {"id": -1, "name": "E-shop"},
        "shipping": {"guid": order.shipping[0], "name": order.shipping[1]},
        "paymentMethod": {"guid": order.payment[0], "name": order.payment[1]},
        "price": _order_price(order),
        "paid": order.paid,
    }


def _billing(address: SimAddress) -> dict[str, Any]:
    return {
        "company": address.company,
        "fullName": address.full_name,
        "street": address.street,
        "houseNumber": address.house_number,
        "city": address.city,
        "district": None,
        "additional": None,
        "zip": address.zip,
        "countryCode": address.country_code,
        "regionName": None,
        "regionShortcut": None,
        "companyId": address.company_id,
        "vatId": address.vat_id,
        "taxId": address.vat_id,
    }


def _delivery(address: SimAddress | None) -> dict[str, Any] | None:
    if address is None:
        return None
    billing = _billing(address)
    for key in ("companyId", "vatId", "taxId"):
        del billing[key]
    return billing


def _item(state: State, order: SimOrder, item: SimItem) -> dict[str, Any]:
    return {
        "productGuid": item.product_guid,
        "code": item.code,
        "ean": item.ean,
        "itemType": item.item_type,
        "name": item.name,
        "variantName": item.variant_name,
        "brand": None,
        "remark": None,
        "weight": "0.000",
        "additionalField": None,
        "amount": amount(item.amount),
        "amountUnit": item.unit,
        "priceRatio": "1.0000",
        "status": _status(state, order.status_id),
        "itemPrice": _price(item.price_with_vat, item.vat_rate),
        "unitPrice": _price(item.unit_price, item.vat_rate),
        "purchasePrice": None,
        "recyclingFee": None,
        "itemId": item.item_id,
        "warrantyDescription": None,
        "amountCompleted": "0.000",
    }


def order_detail(state: State, order: SimOrder, include: set[str]) -> dict[str, Any]:
    """``data.order`` of ``GET /api/orders/{code}``."""
    detail = order_summary(state, order)
    for key in ("fullName", "company", "remark"):
        del detail[key]
    shipping_items = [i for i in order.items if i.item_type == "shipping"]
    billing_items = [i for i in order.items if i.item_type == "billing"]
    detail.update(
        {
            "externalCode": None,
            "clientIPAddress": None,
            "stockId": state.default_stock_id,
            "addressesEqual": order.delivery is None,
            "vatPayer": True,
            "vatMode": order.vat_mode,
            "billingMethod": {"id": 1, "name": "Převodem"},
            "shippingDetails": None,
            "billingAddress": _billing(order.billing),
            "deliveryAddress": _delivery(order.delivery),
            "language": "cs",
            "paymentMethods": [
                {"paymentMethod": detail["paymentMethod"], "itemId": i.item_id} for i in billing_items
            ],
            "shippings": [{"shipping": detail["shipping"], "itemId": i.item_id} for i in shipping_items],
            "items": [_item(state, order, i) for i in order.items],
        }
    )
    if "notes" in include:
        detail["notes"] = {
            "customerRemark": order.customer_remark,
            "eshopRemark": order.eshop_remark,
            "trackingNumber": order.tracking_number,
            "trackingUrl": None,
            "additionalFields": [],
        }
    return detail


def product_summary(product: SimProduct) -> dict[str, Any]:
    """An item of ``GET /api/products``."""
    return {
        "guid": product.guid,
        "name": product.name,
        "type": product.type,
        "url": None,
        "visibility": "visible",
        "creationTime": format_shoptet(product.creation_time),
        "changeTime": format_shoptet(product.change_time),
        "brand": None,
        "supplier": None,
        "defaultCategory": {"guid": None, "name": None, "visible": None},
    }


def _variant(state: State, variant: SimVariant, include: set[str]) -> dict[str, Any]:
    data: dict[str, Any] = {
        "code": variant.code,
        "ean": variant.ean,
        "stock": amount(variant.stock),
        "unit": variant.unit,
        "weight": "0.000",
        "width": "0.0",
        "height": "0.0",
        "depth": "0.0",
        "visible": True,
        "price": cents(variant.price),
        "commonPrice": None,
        "manufacturerCode": None,
        "pluCode": None,
        "isbn": None,
        "serialNo": None,
        "mpn": None,
        "includingVat": True,
        "vatRate": rate(variant.vat_rate),
        "currencyCode": "CZK",
        "minStockSupply": None,
        "actionPrice": None,
        "name": variant.name,
        "amountDecimalPlaces": 0,
        "negativeStockAllowed": "no-global",
    }
    if "perPricelistPrices" in include:
        data["perPricelistPrices"] = [
            {
                "code": variant.code,
                "pricelistId": pricelist.id,
                "currencyCode": "CZK",
                "includingVat": True,
                "vatRate": rate(variant.vat_rate),
                "price": {
                    "price": cents(variant.price),
                    "commonPrice": None,
                    "buyPrice": cents(variant.buy_price) if variant.buy_price is not None else None,
                    "priceRatio": "1.000",
                    "actionPrice": None,
                },
                "sales": {
                    "minPriceRatio": "0.000",
                    "freeShipping": False,
                    "freeBilling": False,
                    "loyaltyDiscount": True,
                    "volumeDiscount": True,
                    "quantityDiscount": True,
                    "discountCoupon": True,
                },
                "orderableAmount": {"minimumAmount": None, "maximumAmount": None},
            }
            # buyPrice lives on the default price list only.
            for pricelist in state.pricelists[:1]
        ]
    return data


def product_detail(state: State, product: SimProduct, include: set[str]) -> dict[str, Any]:
    """``data`` of ``GET /api/products/{guid}``."""
    return {
        **product_summary(product),
        "shortDescription": None,
        "description": None,
        "metaDescription": None,
        "internalNote": None,
        "hsCode": None,
        "isVariant": len(product.variants) > 1,
        "variants": [_variant(state, v, include) for v in product.variants],
    }
