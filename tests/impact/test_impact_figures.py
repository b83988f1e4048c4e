"""The public impact figures equal the ledger: the same world as the staff income report tests (settlements
either side of Shanghai midnights, refunds before and after settlement, a payout, a shipment never settled),
checked against the staff report's totals and against sums of the raw postings."""
from collections import defaultdict

import pytest
from sqlalchemy import func, select

from shop.catalog.models import Product, Variant
from shop.extensions import db
from shop.impact.services import compute_impact
from shop.ledger.models import LedgerPosting
from shop.orders.models import OrderLine
from shop.reports.income import IncomeFilter, build_income_report
from shop.types import SHOP_TZ
from tests.reports.income_world import IncomeWorld, expected, ledger_facts, shanghai

NOW = shanghai(2026, 6, 30, 12, 0)


@pytest.fixture
def world(ctx):
    return IncomeWorld()


def test_total_is_the_sum_of_settled_household_shares_less_refunds(world):
    figures = compute_impact(NOW)
    direct = -db.session.scalar(select(func.sum(LedgerPosting.amount_fen)).where(
        LedgerPosting.account == "household_payable", LedgerPosting.kind.in_(("settlement", "refund"))))
    report = build_income_report(IncomeFilter(), "household")
    assert figures["total"]["income_fen"] == direct == report.total_fen
    assert figures["total"]["registered_poor_income_fen"] == report.poor_total_fen
    # Refunds came off: the settled shares alone are more.
    settled = -db.session.scalar(select(func.sum(LedgerPosting.amount_fen)).where(
        LedgerPosting.account == "household_payable", LedgerPosting.kind == "settlement"))
    assert settled > direct


def test_counties_villages_and_households_reached_equal_the_oracle(world):
    figures = compute_impact(NOW)
    facts = ledger_facts()
    counties, total, poor_total, households = expected(facts, IncomeFilter(), "county")
    assert figures["total"]["households"] == households == 8  # h9 never sold anything
    poor_rows, *_ = expected(facts, IncomeFilter(), "poor")
    assert figures["total"]["registered_poor_households"] == poor_rows["poor"][2] == 4
    by_name = {c.name_zh: c.id for c in world.counties}
    assert {by_name[c["name_zh"]]: c["income_fen"] for c in figures["counties"]} == \
        {k: fen for k, (fen, *_rest) in counties.items()}
    villages, *_ = expected(facts, IncomeFilter(), "village")
    by_name = {v.name_zh: v.id for v in world.villages}
    county_of = {v.id: v.county.name_zh for v in world.villages}
    listed = [v for v in figures["villages"] if not v["other"]]
    # A village is listed on its own only with three households or more, its income the ledger's.
    assert {by_name[v["name_zh"]]: v["income_fen"] for v in listed} == \
        {by_name[v["name_zh"]]: villages[by_name[v["name_zh"]]][0] for v in listed}
    assert all(villages[by_name[v["name_zh"]]][2] >= 3 for v in listed)
    small = [k for k, (_fen, _poor, count, _shares) in villages.items() if count < 3]
    assert small and not {by_name[v["name_zh"]] for v in listed} & set(small)  # the world has one such village
    # No village carries a household count (so none can be subtracted), and each county's villages, its
    # "other villages" included, add up to the county.
    assert not any("households" in v for v in figures["villages"])
    for county in figures["counties"]:
        mine = [v["income_fen"] for v in figures["villages"] if v["county_zh"] == county["name_zh"]]
        assert sum(mine) == county["income_fen"]
        assert {county_of[by_name[v["name_zh"]]] for v in listed if v["county_zh"] == county["name_zh"]} <= \
            {county["name_zh"]}
    assert sum(v["income_fen"] for v in figures["villages"]) == figures["total"]["income_fen"]


def test_years_and_months_add_up_to_the_total(world):
    figures = compute_impact(NOW)
    facts = ledger_facts()
    by_year = defaultdict(int)
    for _hh, _line, posted_at, amount, _kind in facts[0]:
        by_year[posted_at.astimezone(SHOP_TZ).year] -= amount
    assert {y["year"]: y["income_fen"] for y in figures["years"]} == dict(by_year)
    assert set(by_year) == {2025, 2026}  # one settlement on 31 December 2025 at 23:59 Shanghai
    months = figures["months"]
    assert [m["month"] for m in months][0] == "2025-07" and months[-1]["month"] == "2026-06" and len(months) == 12
    assert sum(m["income_fen"] for m in months) == figures["total"]["income_fen"]  # all within the last year
    assert figures["since"] == "2025-12-01"
    _, _, poor_total, _ = expected(facts, IncomeFilter(), "poor")
    assert sum(m["registered_poor_income_fen"] for m in months) == poor_total


def test_top_products_equal_the_postings_by_product(world):
    figures = compute_impact(NOW)
    rows = db.session.execute(
        select(Product.name_zh, LedgerPosting.amount_fen).select_from(LedgerPosting)
        .join(OrderLine, OrderLine.id == LedgerPosting.line_id).join(Variant, Variant.id == OrderLine.variant_id)
        .join(Product, Product.id == Variant.product_id)
        .where(LedgerPosting.account == "household_payable", LedgerPosting.kind.in_(("settlement", "refund"))))
    oracle = defaultdict(int)
    for name, amount in rows:
        oracle[name] -= amount
    assert {p["name_zh"]: p["income_fen"] for p in figures["top_products"]} == {k: v for k, v in oracle.items() if v}
    incomes = [p["income_fen"] for p in figures["top_products"]]
    assert incomes == sorted(incomes, reverse=True)


def test_an_empty_shop_has_zero_figures_and_no_launch_date(ctx):
    figures = compute_impact(NOW)
    assert figures["total"] == {"income_fen": 0, "registered_poor_income_fen": 0, "households": None,
                                "households_fewer_than_three": True, "registered_poor_households": None,
                                "registered_poor_households_fewer_than_three": True}
    assert figures["since"] is None and figures["years"] == [] and figures["counties"] == []
    assert len(figures["months"]) == 12 and all(m["income_fen"] == 0 for m in figures["months"])
