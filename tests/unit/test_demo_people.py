"""The demo's customers look real: Czech names and addresses, valid IČO, reproducible by seed."""

from __future__ import annotations

import random

from spojka.demo.people import customer, ico_check_digit, valid_ico


def test_known_icos_have_their_check_digit() -> None:
    # Published IČOs of Czech institutions.
    for ico in ("00064581", "25596641", "27082440", "45274649"):
        assert ico_check_digit(ico[:7]) == int(ico[7]), ico


def test_generated_icos_are_valid_and_companies_have_a_dic() -> None:
    rng = random.Random(7)
    buyers = [customer(rng, company_share=0.5) for _ in range(200)]
    companies = [b for b in buyers if b.company]
    assert 60 < len(companies) < 140
    for buyer in companies:
        assert buyer.company_id is not None
        assert len(buyer.company_id) == 8
        assert ico_check_digit(buyer.company_id[:7]) == int(buyer.company_id[7])
        assert buyer.vat_id == f"CZ{buyer.company_id}"
    assert all(b.email.isascii() and b.email.endswith("@example.cz") for b in buyers)
    assert any("á" in b.full_name or "ř" in b.full_name or "ý" in b.full_name for b in buyers)


def test_the_same_seed_gives_the_same_people() -> None:
    assert [customer(random.Random(3)) for _ in range(5)] == [customer(random.Random(3)) for _ in range(5)]
    assert len(valid_ico(random.Random(1))) == 8
