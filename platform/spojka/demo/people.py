"""Realistic Czech customers for the demo shop: names, addresses, companies with a valid IČO.

Deterministic for a seed, so a resumed demo goes on with new people rather than repeat the old.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

_FIRST = (
    ("Jana", "f"), ("Petra", "f"), ("Lucie", "f"), ("Kateřina", "f"), ("Eva", "f"), ("Tereza", "f"),
    ("Markéta", "f"), ("Veronika", "f"), ("Jan", "m"), ("Petr", "m"), ("Tomáš", "m"), ("Martin", "m"),
    ("Jakub", "m"), ("Lukáš", "m"), ("Ondřej", "m"), ("Pavel", "m"),
)  # fmt: skip
_LAST = (
    ("Novák", "Nováková"), ("Svoboda", "Svobodová"), ("Novotný", "Novotná"), ("Dvořák", "Dvořáková"),
    ("Černý", "Černá"), ("Procházka", "Procházková"), ("Kučera", "Kučerová"), ("Veselý", "Veselá"),
    ("Horák", "Horáková"), ("Němec", "Němcová"), ("Pokorný", "Pokorná"), ("Marek", "Marková"),
)  # fmt: skip
_CITIES = (
    ("Praha 2", "120 00"), ("Brno", "602 00"), ("Ostrava", "702 00"), ("Plzeň", "301 00"),
    ("Olomouc", "779 00"), ("Liberec", "460 01"), ("České Budějovice", "370 01"),
    ("Hradec Králové", "500 02"),
    ("Pardubice", "530 02"), ("Zlín", "760 01"), ("Jihlava", "586 01"), ("Kolín", "280 02"),
)  # fmt: skip
_STREETS = (
    "Vinohradská", "Masarykova", "Husova", "Palackého", "Nádražní", "Školní", "Zahradní", "Komenského",
    "Sokolská", "Jiráskova", "Tyršova", "Lidická",
)  # fmt: skip
_COMPANIES = (
    "Bylinkárna", "Kávovar", "Dílna u Lípy", "Zelená zahrada", "Pekárna Klásek", "Modrý pták",
    "Keramika Hradec", "Tiskárna Orel",
)  # fmt: skip
_FORMS = ("s.r.o.", "a.s.", "z.s.", "s.r.o.")


@dataclass(frozen=True, slots=True)
class Customer:
    """One buyer: a person, perhaps buying for a company (with IČO and DIČ)."""

    first_name: str
    last_name: str
    email: str
    phone: str
    street: str
    city: str
    zip_code: str
    company: str | None = None
    company_id: str | None = None
    vat_id: str | None = None

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


def ico_check_digit(first_seven: str) -> int:
    """The eighth digit of a Czech IČO (weights 8..2, modulo 11)."""
    total = sum(int(digit) * weight for digit, weight in zip(first_seven, range(8, 1, -1), strict=True))
    return (11 - total % 11) % 10


def valid_ico(rng: random.Random) -> str:
    first_seven = f"{rng.randrange(1_000_000, 9_999_999):07d}"
    return first_seven + str(ico_check_digit(first_seven))


def _ascii(text: str) -> str:
    table = str.maketrans("áčďéěíňóřšťúůýžÁČĎÉĚÍŇÓŘŠŤÚŮÝŽ", "acdeeinorstuuyzACDEEINORSTUUYZ")
    return text.translate(table).lower().replace(" ", "")


def customer(rng: random.Random, *, company_share: float = 0.2) -> Customer:
    """A random customer; about ``company_share`` of them buy for a company."""
    first, gender = rng.choice(_FIRST)
    male, female = rng.choice(_LAST)
    last = female if gender == "f" else male
    city, zip_code = rng.choice(_CITIES)
    street = f"{rng.choice(_STREETS)} {rng.randrange(1, 120)}"
    email = f"{_ascii(first)}.{_ascii(last)}{rng.randrange(1, 99)}@example.cz"
    phone = f"+420 {rng.randrange(600, 799)} {rng.randrange(100, 999)} {rng.randrange(100, 999)}"
    if rng.random() >= company_share:
        return Customer(first, last, email, phone, street, city, zip_code)
    ico = valid_ico(rng)
    company = f"{rng.choice(_COMPANIES)} {rng.choice(_FORMS)}"
    return Customer(first, last, email, phone, street, city, zip_code, company, ico, f"CZ{ico}")
