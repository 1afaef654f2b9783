"""Deterministic builders of realistic canonical objects: a Czech shop's orders, catalogue and stock.

Everything comes from one seeded :class:`random.Random`, so ``Factory(seed=7)`` builds the same
objects on every machine and every run. The data looks like a real Czech e-shop's: people and
companies with diacritics, IČO with a valid check digit and DIČ, addresses with real post codes,
VAT rates 21 %, 12 % (food) and 0 % (books), goods sold by the piece and by weight, variants,
shipping and payment lines, the odd discount coupon and free shipping above a threshold.

Line and document totals follow the rounding rule of :mod:`spojka.connector.model`, so
``order_total_problems(order)`` is empty for every order built here::

    factory = Factory(seed=1)
    orders = factory.orders(100)                 # numbered 2024000001..2024000100
    levels = factory.stock_levels()              # one per sellable code of factory.catalogue
    write = factory.order_write(orders[0])       # an OrderWrite with a unique ext id
"""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import msgspec

from spojka.connector.capabilities import OrderOptions, OrderWrite
from spojka.connector.model import (
    ZERO,
    Address,
    Customer,
    Fulfilment,
    LineKind,
    Method,
    Order,
    OrderLine,
    Product,
    StockLevel,
    Totals,
    Variant,
    money,
)

#: Central European (winter) time: the factories' dates fall in January to March.
CET = timezone(timedelta(hours=1), "CET")
DEFAULT_START = datetime(2024, 1, 8, 8, 0, tzinfo=CET)
FREE_SHIPPING_FROM = Decimal(1500)
VAT_RATES = (Decimal(21), Decimal(12), Decimal(0))

_MALE = ("Jan", "Petr", "Tomáš", "Martin", "Jiří", "Lukáš", "Jakub", "Ondřej", "Václav", "Michal")
_FEMALE = ("Jana", "Eva", "Lucie", "Kateřina", "Tereza", "Petra", "Markéta", "Veronika", "Zuzana", "Hana")
# (male, female) forms of common Czech surnames.
_SURNAMES = (
    ("Novák", "Nováková"),
    ("Svoboda", "Svobodová"),
    ("Novotný", "Novotná"),
    ("Dvořák", "Dvořáková"),
    ("Černý", "Černá"),
    ("Procházka", "Procházková"),
    ("Kučera", "Kučerová"),
    ("Veselý", "Veselá"),
    ("Horák", "Horáková"),
    ("Němec", "Němcová"),
    ("Pokorný", "Pokorná"),
    ("Marek", "Marková"),
)
_STREETS = (
    "Vinohradská",
    "Husova",
    "Palackého",
    "Masarykova",
    "Komenského",
    "Nádražní",
    "Školní",
    "Sokolská",
    "Jiráskova",
    "Havlíčkova",
    "U Lípy",
    "Na Výsluní",
)
# (city, post code)
_CITIES = (
    ("Praha 2", "120 00"),
    ("Praha 5", "150 00"),
    ("Brno", "602 00"),
    ("Ostrava", "702 00"),
    ("Plzeň", "301 00"),
    ("Olomouc", "779 00"),
    ("České Budějovice", "370 01"),
    ("Hradec Králové", "500 02"),
    ("Liberec", "460 01"),
    ("Ústí nad Labem", "400 01"),
    ("Zlín", "760 01"),
    ("Třebíč", "674 01"),
)
_MAIL_DOMAINS = ("seznam.cz", "email.cz", "gmail.com", "centrum.cz", "post.cz")
_COMPANY_WORDS = (
    "Dřevovýroba",
    "Pekařství",
    "Stavby",
    "Zahrady",
    "Kancelář",
    "Elektro",
    "Účetnictví",
    "Květiny",
)
_COMPANY_FORMS = ("s.r.o.", "s.r.o.", "a.s.", "v.o.s.")
_NOTES = (
    "",
    "",
    "",
    "Prosím zazvonit u sousedů, zvonek nefunguje.",
    "Doručit po 16. hodině.",
    "Dárkové balení, prosím bez faktury v balíku.",
)


@dataclass(frozen=True, slots=True)
class _Template:
    name: str
    code: str
    gross: Decimal
    vat: Decimal
    unit: str = "ks"
    #: Variant suffixes and names (a product with variants is not sold itself).
    variants: tuple[tuple[str, str], ...] = ()


_TEMPLATES = (
    _Template("Hrnek keramický 300 ml", "HRN", Decimal("189.00"), Decimal(21)),
    _Template(
        "Tričko bavlněné",
        "TRI",
        Decimal("399.00"),
        Decimal(21),
        variants=(("S", "vel. S"), ("M", "vel. M"), ("L", "vel. L"), ("XL", "vel. XL")),
    ),
    _Template("Káva zrnková Brazílie 1 kg", "KAV", Decimal("549.00"), Decimal(12)),
    _Template("Kniha: Babička (Božena Němcová)", "KNB", Decimal("299.00"), Decimal(0)),
    _Template("Svíčka vonná levandule", "SVI", Decimal("149.90"), Decimal(21)),
    _Template("Čaj zelený sypaný 100 g", "CAJ", Decimal("129.00"), Decimal(12)),
    _Template(
        "Batoh městský 20 l",
        "BAT",
        Decimal("1290.00"),
        Decimal(21),
        variants=(("CER", "černá"), ("MOD", "modrá"), ("ZEL", "zelená")),
    ),
    _Template("Med květový 500 g", "MED", Decimal("189.00"), Decimal(12)),
    _Template("Sýr eidam 30 % (na váhu)", "SYR", Decimal("189.90"), Decimal(12), unit="kg"),
    _Template("Kniha: Saturnin (Zdeněk Jirotka)", "KNS", Decimal("349.00"), Decimal(0)),
    _Template("Sluchátka bezdrátová", "SLU", Decimal("1899.00"), Decimal(21)),
    _Template("Čokoláda hořká 70 % 100 g", "COK", Decimal("59.90"), Decimal(12)),
)

# (code, name, gross price); shipping and payment are charged at the standard rate.
_SHIPPING = (
    ("zasilkovna", "Zásilkovna - výdejní místo", Decimal(79)),
    ("ppl", "PPL - doručení na adresu", Decimal(119)),
    ("ceska-posta", "Česká pošta - Balík Do ruky", Decimal(139)),
    ("osobni-odber", "Osobní odběr - Praha", Decimal(0)),
)
_PAYMENT = (
    ("karta", "Platba kartou online", Decimal(0)),
    ("prevod", "Bankovní převod", Decimal(0)),
    ("dobirka", "Dobírka", Decimal(39)),
)
_STATUSES = (("new", "Nová"), ("new", "Nová"), ("processing", "Vyřizuje se"), ("shipped", "Odeslaná"))
#: The choices the orders above may carry, for a fake's ``options.read``: (code, name, price) of the
#: methods and (status, name) of the statuses (``_STATUSES`` repeats "new" to make it likelier).
SHIPPING_METHODS = _SHIPPING
PAYMENT_METHODS = _PAYMENT
ORDER_STATUSES = tuple(dict.fromkeys(_STATUSES))
_WAREHOUSE_VAT = Decimal(21)


def ascii_slug(text: str) -> str:
    """``"Kateřina Dvořáková"`` → ``"katerina.dvorakova"``: for e-mail addresses."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return ".".join(plain.lower().split())


def ico_check_digit(first_seven: str) -> int:
    """The eighth digit of an IČO (weights 8..2, modulo 11)."""
    total = sum(int(d) * w for d, w in zip(first_seven, range(8, 1, -1), strict=True))
    return (11 - total % 11) % 10


def ico_is_valid(ico: str) -> bool:
    """Whether an IČO is eight digits with a correct check digit."""
    return len(ico) == 8 and ico.isdigit() and ico_check_digit(ico[:7]) == int(ico[7])


def ean13_check_digit(first_twelve: str) -> int:
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(first_twelve))
    return (10 - total % 10) % 10


def ean13_is_valid(ean: str) -> bool:
    """Whether an EAN-13 has a correct check digit."""
    return len(ean) == 13 and ean.isdigit() and ean13_check_digit(ean[:12]) == int(ean[12])


def net_of(gross: Decimal, vat_rate: Decimal) -> Decimal:
    """The net unit price of a gross one, in cents."""
    return money(gross * 100 / (100 + vat_rate))


def sellable_codes(products: Sequence[Product]) -> list[str]:
    """Codes that can be ordered and stocked: the variants of a product that has them, else the product."""
    codes: list[str] = []
    for product in products:
        codes.extend([v.code for v in product.variants] or [product.code])
    return codes


def totals_of(lines: Sequence[OrderLine]) -> Totals:
    """Document totals as the sums of the lines' rounded totals (the model's rounding rule)."""
    net = sum((line.computed_totals()[0] for line in lines), ZERO)
    gross = sum((line.computed_totals()[1] for line in lines), ZERO)
    return Totals(net=net, vat=gross - net, gross=gross)


class Factory:
    """Seeded builder of canonical objects. Same seed and same calls → same objects.

    ``catalogue`` is built first (``catalogue_size`` products); orders pick their items from it, so
    the same factory's :meth:`stock_levels` cover every code its orders use.
    """

    def __init__(
        self,
        seed: int = 0,
        *,
        catalogue_size: int = 16,
        start: datetime = DEFAULT_START,
        first_order_number: int = 2024000001,
        code_prefix: str = "",
    ) -> None:
        # Reproducible test data, not secrets.
        self.rng = random.Random(seed)  # noqa: S311
        self.start = start
        self.code_prefix = code_prefix
        self._next_order = first_order_number
        self._next_product = 1
        self._next_ext = 1
        self._clock = start
        self.catalogue: tuple[Product, ...] = tuple(self.products(catalogue_size))

    # -- people and companies ---------------------------------------------------------------------
    def person(self) -> str:
        """A Czech first name and surname, in the right grammatical gender."""
        female = self.rng.random() < 0.5
        first = self.rng.choice(_FEMALE if female else _MALE)
        surname = self.rng.choice(_SURNAMES)[1 if female else 0]
        return f"{first} {surname}"

    def ico(self) -> str:
        """A valid IČO."""
        first_seven = str(self.rng.randint(1, 9)) + "".join(str(self.rng.randint(0, 9)) for _ in range(6))
        return first_seven + str(ico_check_digit(first_seven))

    def company(self) -> tuple[str, str, str]:
        """(name, IČO, DIČ); a quarter of companies are not VAT payers and have no DIČ."""
        word, surname = self.rng.choice(_COMPANY_WORDS), self.rng.choice(_SURNAMES)[0]
        name = f"{word} {surname} {self.rng.choice(_COMPANY_FORMS)}"
        ico = self.ico()
        return name, ico, ("CZ" + ico if self.rng.random() < 0.75 else "")

    def phone(self) -> str:
        digits = f"{self.rng.choice('67')}{self.rng.randint(0, 99999999):08d}"
        return f"+420 {digits[:3]} {digits[3:6]} {digits[6:]}"

    def email(self, name: str) -> str:
        return f"{ascii_slug(name)}@{self.rng.choice(_MAIL_DOMAINS)}"

    def address(self, name: str | None = None) -> Address:
        """A street address in a Czech city; ``name`` defaults to a new person."""
        person = name or self.person()
        city, post_code = self.rng.choice(_CITIES)
        number = f"{self.rng.randint(1, 2500)}/{self.rng.randint(1, 60)}"
        return Address(
            name=person,
            street=f"{self.rng.choice(_STREETS)} {number}",
            city=city,
            zip=post_code,
            country="CZ",
            email=self.email(person),
            phone=self.phone(),
        )

    # -- catalogue --------------------------------------------------------------------------------
    def product(self, template_index: int | None = None) -> Product:
        """The next catalogue product (cycling through a dozen templates), with a unique code."""
        number = self._next_product
        self._next_product += 1
        template = _TEMPLATES[(number - 1) % len(_TEMPLATES) if template_index is None else template_index]
        code = f"{self.code_prefix}{template.code}-{number:04d}"
        edition = (number - 1) // len(_TEMPLATES)
        name = template.name if edition == 0 else f"{template.name}, edice {edition + 1}"
        gross = template.gross
        net = net_of(gross, template.vat)
        purchase = money(net * Decimal(self.rng.randint(50, 70)) / 100)
        variants = tuple(
            Variant(
                source_id=f"{number}-{i}",
                code=f"{code}-{suffix}",
                ean=self.ean(),
                name=f"{name}, {label}",
                unit=template.unit,
                vat_rate=template.vat,
                sale_price_gross=gross,
                sale_price_net=net,
                purchase_price=purchase,
                parent_code=code,
            )
            for i, (suffix, label) in enumerate(template.variants, start=1)
        )
        return Product(
            source_id=str(number),
            code=code,
            name=name,
            ean="" if variants else self.ean(),
            unit=template.unit,
            vat_rate=template.vat,
            sale_price_gross=gross,
            sale_price_net=net,
            purchase_price=purchase,
            variants=variants,
        )

    def products(self, n: int) -> list[Product]:
        return [self.product() for _ in range(n)]

    def ean(self) -> str:
        """A valid EAN-13 with the Czech GS1 prefix 859."""
        first_twelve = "859" + "".join(str(self.rng.randint(0, 9)) for _ in range(9))
        return first_twelve + str(ean13_check_digit(first_twelve))

    def stock_level(
        self, code: str, *, warehouse: str = "", purchase_price: Decimal | None = None, unit: str = "ks"
    ) -> StockLevel:
        """A level as an accounting system states it: on hand, a few reserved, no stated available."""
        on_hand = (
            Decimal(self.rng.randint(0, 400)) / 10 if unit == "kg" else Decimal(self.rng.randint(0, 120))
        )
        reserved = min(on_hand, Decimal(self.rng.randint(0, 5)))
        return StockLevel(
            code=code, warehouse=warehouse, on_hand=on_hand, reserved=reserved, purchase_price=purchase_price
        )

    def stock_levels(
        self, products: Sequence[Product] | None = None, *, warehouses: Sequence[str] = ("",)
    ) -> list[StockLevel]:
        """One level per sellable code (default: of :attr:`catalogue`) and warehouse."""
        levels: list[StockLevel] = []
        for product in self.catalogue if products is None else products:
            for item in product.variants or (product,):
                for warehouse in warehouses:
                    levels.append(
                        self.stock_level(
                            item.code, warehouse=warehouse, purchase_price=item.purchase_price, unit=item.unit
                        )
                    )
        return levels

    # -- orders -----------------------------------------------------------------------------------
    def _item_line(self, index: int) -> OrderLine:
        product = self.rng.choice(self.catalogue)
        item: Product | Variant = self.rng.choice(product.variants) if product.variants else product
        if item.unit == "kg":
            quantity = Decimal(self.rng.choice(("0.25", "0.35", "0.5", "1.2")))
        else:
            quantity = Decimal(self.rng.choices((1, 2, 3, 5), weights=(6, 3, 1, 1))[0])
        gross = item.sale_price_gross or Decimal(100)
        discount = Decimal(self.rng.choice((0, 0, 0, 0, 5, 10)))
        return self._line(
            "item",
            index,
            code=item.code,
            ean=item.ean,
            name=item.name,
            quantity=quantity,
            unit=item.unit,
            gross=gross,
            vat=item.vat_rate,
            discount=discount,
        )

    def _line(
        self,
        kind: LineKind,
        index: int,
        *,
        name: str,
        gross: Decimal,
        vat: Decimal = _WAREHOUSE_VAT,
        code: str = "",
        ean: str = "",
        quantity: Decimal = Decimal(1),
        unit: str = "ks",
        discount: Decimal = ZERO,
    ) -> OrderLine:
        line = OrderLine(
            kind=kind,
            source_id=str(index),
            code=code,
            ean=ean,
            name=name,
            quantity=quantity,
            unit=unit,
            unit_price_net=net_of(gross, vat),
            unit_price_gross=gross,
            vat_rate=vat,
            discount_percent=discount,
        )
        net, total_gross = line.computed_totals()
        return msgspec.structs.replace(line, total_net=net, total_gross=total_gross)

    def order(
        self,
        *,
        items: int | None = None,
        company: bool | None = None,
        currency: str = "CZK",
        exchange_rate: Decimal | None = None,
    ) -> Order:
        """The next order: 1-4 items, shipping and payment lines, consistent line and document totals.

        ``currency="EUR"`` prices everything in euros at ``exchange_rate`` (default 25.20 CZK/EUR).
        """
        number = str(self._next_order)
        self._next_order += 1
        self._clock += timedelta(minutes=self.rng.randint(3, 95))
        rate = Decimal(1) if currency == "CZK" else (exchange_rate or Decimal("25.20"))

        buyer = self.person()
        billing = self.address(buyer)
        is_company = self.rng.random() < 0.3 if company is None else company
        customer = Customer(email=billing.email, phone=billing.phone, name=buyer, source_id=None)
        if is_company:
            company_name, ico, dic = self.company()
            billing = msgspec.structs.replace(billing, company=company_name, company_id=ico, vat_id=dic)
            customer = msgspec.structs.replace(customer, company=company_name, company_id=ico, vat_id=dic)
        if self.rng.random() < 0.5:
            customer = msgspec.structs.replace(customer, source_id=str(self.rng.randint(1000, 99999)))
        delivery = self.address() if self.rng.random() < 0.25 else None

        lines = [self._item_line(i) for i in range(1, (items or self.rng.randint(1, 4)) + 1)]
        if self.rng.random() < 0.1:
            lines.append(
                self._line("discount", len(lines) + 1, name="Slevový kupon JARO100", gross=Decimal(-100))
            )
        goods_gross = sum((line.computed_totals()[1] for line in lines), ZERO)
        ship_code, ship_name, ship_price = self.rng.choice(_SHIPPING)
        if goods_gross >= FREE_SHIPPING_FROM:
            ship_price = ZERO
        pay_code, pay_name, pay_price = self.rng.choice(_PAYMENT)
        lines.append(self._line("shipping", len(lines) + 1, name=ship_name, gross=ship_price))
        lines.append(self._line("payment", len(lines) + 1, name=pay_name, gross=pay_price))
        if rate != 1:
            lines = [self._in_currency(line, rate) for line in lines]

        status, status_name = self.rng.choice(_STATUSES)
        return Order(
            source_id=number,
            number=number,
            created_at=self._clock,
            changed_at=self._clock,
            status=status,
            status_name=status_name,
            paid=pay_code == "karta" or (pay_code == "prevod" and self.rng.random() < 0.5),
            currency=currency,
            exchange_rate=rate,
            customer=customer,
            billing_address=billing,
            delivery_address=delivery,
            payment=Method(code=pay_code, name=pay_name),
            shipping=Method(code=ship_code, name=ship_name),
            lines=tuple(lines),
            totals=totals_of(lines),
            note=self.rng.choice(_NOTES),
        )

    def _in_currency(self, line: OrderLine, rate: Decimal) -> OrderLine:
        gross = money(line.unit_price_gross / rate)
        changed: dict[str, Decimal | None] = {
            "unit_price_gross": gross,
            "unit_price_net": net_of(gross, line.vat_rate),
            "total_net": None,
            "total_gross": None,
        }
        converted = msgspec.structs.replace(line, **changed)
        net, total_gross = converted.computed_totals()
        return msgspec.structs.replace(converted, total_net=net, total_gross=total_gross)

    def orders(self, n: int, *, currency: str = "CZK") -> list[Order]:
        """``n`` orders in a row (numbers and times ascending)."""
        return [self.order(currency=currency) for _ in range(n)]

    def ext_id(self) -> str:
        """A fresh external id, unique within this factory."""
        ext = f"{self.code_prefix}ext-{self._next_ext:06d}"
        self._next_ext += 1
        return ext

    def order_write(
        self, order: Order | None = None, *, ext_id: str | None = None, options: OrderOptions | None = None
    ) -> OrderWrite:
        """An :class:`OrderWrite` of ``order`` (default: the next order) with a unique ext id."""
        return OrderWrite(
            ext_id=ext_id or self.ext_id(),
            order=order or self.order(),
            options=options or OrderOptions(vat_rates={"21": "high", "12": "low", "0": "none"}),
        )

    def fulfilment(self, target_id: str, order_number: str = "") -> Fulfilment:
        """A settlement with a carrier and a tracking number."""
        carrier, prefix = self.rng.choice((("Zásilkovna", "Z"), ("PPL", "4"), ("Česká pošta", "DR")))
        tracking = f"{prefix}{self.rng.randint(10**9, 10**10 - 1)}"
        self._clock += timedelta(minutes=self.rng.randint(5, 300))
        return Fulfilment(
            target_id=target_id,
            order_number=order_number,
            carrier=carrier,
            tracking_number=tracking,
            settled_at=self._clock,
        )
