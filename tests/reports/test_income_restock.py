"""Days taken out of a whole month (split_period_cheaply) take out the units the roll-up gave them when they
were posted, even after a restock released the allocations: a household whose sale settled before the period
and was refunded with the units put back has no units in the period (a reviewer's case)."""
from datetime import date

from shop.reports.income import IncomeFilter, build_income_report, income_by_month
from tests.reports.income_world import IncomeWorld, shanghai


def test_a_restocked_sale_settled_before_the_period_has_no_units_in_it(ctx):
    world = IncomeWorld()
    v4 = world.variants[3]  # cooperative 3's walnuts, from h7 4, h8 5 and the cooperative 1 of 10
    early = world.sale([(v4, 2)], {2: shanghai(2026, 7, 1, 10, 0)})
    world.refund(early, shanghai(2026, 7, 2, 9, 0), mode="whole", restock=True)
    late = world.sale([(v4, 1)], {2: shanghai(2026, 7, 1, 11, 0)})
    world.refund(late, shanghai(2026, 7, 10, 9, 0), mode="whole", restock=True)
    ctx.commit()
    h7, h8 = world.households[6].id, world.households[7].id

    # From the 3rd the first sale is neither settled nor refunded: no row for it; the second shows only its refund.
    rows = {r.key: r for r in build_income_report(IncomeFilter(date(2026, 7, 3), date(2026, 7, 31)), "household").rows}
    assert set(rows) == {h7, h8}
    assert all(r.units_sold == 0 and r.shares == 0 and r.income_fen < 0 for r in rows.values())
    # Only the first refund's day and nothing else: just the refund, no units, no settlement.
    one_day = build_income_report(IncomeFilter(date(2026, 7, 3), date(2026, 7, 9)), "household")
    assert one_day.rows == [] and one_day.households == 0
    assert income_by_month(IncomeFilter(date(2026, 7, 3), date(2026, 7, 9))) == []
    # The whole month: both settled (3 units from the households' 9 of 10) and both refunded.
    month = {r.key: r for r in build_income_report(IncomeFilter(date(2026, 7, 1), date(2026, 7, 31)),
                                                   "household").rows}
    assert sum(r.income_fen for r in month.values()) == 0 and sum(r.shares for r in month.values()) == 4
