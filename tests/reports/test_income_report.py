"""The household income report against the ledger: any period, grouping and filters give the sum of the
household_payable postings of settlements and refunds posted in that period (Shanghai dates)."""
from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from shop.orders.models import LineShare
from shop.reports.income import GROUPS, SORTS, IncomeFilter, build_income_report, income_by_month, \
    income_distribution
from shop.types import SHOP_TZ
from tests.reports.income_world import FIRST_DAY, LAST_DAY, IncomeWorld, expected, ledger_facts


def _check(report, facts, filters, group):
    rows, total, poor_total, households = expected(facts, filters, group)
    assert report.total_fen == total
    assert report.poor_total_fen == poor_total
    assert report.households == households
    assert sum(r.income_fen for r in report.rows) == report.total_fen
    assert sum(r.poor_income_fen for r in report.rows) == report.poor_total_fen
    assert {r.key: (r.income_fen, r.poor_income_fen, r.households, r.shares) for r in report.rows} == rows
    if group != "category":  # a household selling in two categories shows in both
        assert sum(r.households for r in report.rows) == report.households


def test_report_equals_a_direct_sum_of_the_ledger_for_any_period_grouping_and_filters(ctx):
    """Hand-picked cases first, then random ones, on one world (building it costs more than checking it)."""
    world = IncomeWorld()
    ctx.commit()
    facts = ledger_facts()
    assert len(facts[0]) > 20  # settlements and refunds of several lines and households
    every_grouping_of_the_whole_history_and_of_each_month_adds_up(facts)
    periods_follow_shanghai_dates_not_utc(world, facts)
    units_sold_are_the_households_parts_of_the_lots(world, ctx)
    income_distribution_counts_each_household_once(world)

    # Any day, but often the Shanghai day of a posting or a day next to it (where UTC and Shanghai differ).
    near = sorted({posted.astimezone(SHOP_TZ).date() + timedelta(days=d) for _, _, posted, _, _ in facts[0]
                   for d in (-1, 0, 1)})
    days = st.none() | st.sampled_from(near) | st.dates(FIRST_DAY, LAST_DAY)
    # Up to two filters at once (more mostly leave nothing to count).
    choices = {"county_id": [c.id for c in world.counties], "village_id": [v.id for v in world.villages],
               "coop_id": [c.id for c in world.coops], "category_id": [c.id for c in world.categories],
               "poor": [True, False]}
    wheres = st.lists(st.sampled_from(sorted(choices)), max_size=2, unique=True).flatmap(
        lambda names: st.fixed_dictionaries({name: st.sampled_from(choices[name]) for name in names}))

    @settings(max_examples=30, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
    @given(start=days, end=days, group=st.sampled_from(GROUPS), sort=st.sampled_from(SORTS), where=wheres)
    def check(start, end, group, sort, where):
        filters = IncomeFilter(start, end, **where)
        report = build_income_report(filters, group, sort)
        _check(report, facts, filters, group)
        months = income_by_month(filters)
        assert sum(fen for _, fen, _ in months) == report.total_fen
        assert sum(poor for _, _, poor in months) == report.poor_total_fen

    check()


def every_grouping_of_the_whole_history_and_of_each_month_adds_up(facts):
    whole = build_income_report(IncomeFilter(), "household")
    assert whole.total_fen > 0 and whole.poor_total_fen > 0
    for group in GROUPS:
        _check(build_income_report(IncomeFilter(), group), facts, IncomeFilter(), group)
        assert build_income_report(IncomeFilter(), group).total_fen == whole.total_fen
    months = [date(2025, 12, 1)] + [date(2026, m, 1) for m in range(1, 8)]
    by_month = 0
    for first, following in zip(months, months[1:]):
        filters = IncomeFilter(first, date.fromordinal(following.toordinal() - 1))
        report = build_income_report(filters, "coop")
        _check(report, facts, filters, "coop")
        by_month += report.total_fen
    assert by_month == whole.total_fen


def periods_follow_shanghai_dates_not_utc(world, facts):
    """Shipment settled at 23:30 on 31 January (Shanghai) counts in January; one settled at 00:10 on
    1 February (Shanghai, still 31 January in UTC) counts in February."""
    c1, c2 = world.coops[0].id, world.coops[1].id
    jan31 = IncomeFilter(date(2026, 1, 31), date(2026, 1, 31))
    feb1 = IncomeFilter(date(2026, 2, 1), date(2026, 2, 1))
    assert {r.key for r in build_income_report(jan31, "coop").rows} == {c1}
    assert {r.key for r in build_income_report(feb1, "coop").rows} == {c2}
    for filters in (jan31, feb1, IncomeFilter(date(2026, 4, 1), date(2026, 4, 1)),
                    IncomeFilter(date(2026, 3, 31), date(2026, 3, 31)), IncomeFilter(date(2026, 6, 1))):
        report = build_income_report(filters, "household")
        assert report.rows
        _check(report, facts, filters, "household")


def units_sold_are_the_households_parts_of_the_lots(world, ctx):
    """The first sale, 2 walnut boxes from a lot of 6 that h1, h2 and the cooperative supplied 3 / 2 / 1."""
    h1, h2 = world.households[:2]
    report = build_income_report(IncomeFilter(date(2026, 1, 1), date(2026, 1, 20)), "household")
    assert {r.key: r.units_sold for r in report.rows} == {h1.id: 1.0, h2.id: 0.7}
    shares = ctx.execute(select(LineShare.household_id, LineShare.amount_fen)
                         .where(LineShare.line_id == world.first_sale.lines[0].id)).all()
    assert {r.key: r.income_fen for r in report.rows} == dict(shares)


def income_distribution_counts_each_household_once(world):
    report = build_income_report(IncomeFilter(), "household")
    bands = income_distribution(report.rows)
    assert sum(poor + other for _, _, poor, other in bands) == len(report.rows)
    assert sum(poor for _, _, poor, _ in bands) == sum(1 for r in report.rows if r.registered_poor)
    assert world.households[8].id not in {r.key for r in report.rows}  # no sales, no row
