"""The cooperative earnings page reads whole months from the monthly roll-up (ledger_months) and the days of a
month a period cuts into from the postings. For any period, its figures must equal the postings of that
period summed one by one: per period, per month, per product and per household, and the balances now."""
from collections import defaultdict
from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from shop.extensions import db
from shop.ledger.check import check_ledger
from shop.ledger.models import LedgerPosting as P
from shop.orders.models import OrderLine
from shop.reports.earnings import COOP_ACCOUNTS, Figures, build_earnings_report
from shop.types import SHOP_TZ, utcnow
from tests.reports.income_world import FIRST_DAY, LAST_DAY, IncomeWorld


def _postings(coop_id):
    return [(account, kind, hh, slug if kind in ("payment", "refund") else None, posted.astimezone(SHOP_TZ), fen)
            for account, kind, hh, slug, posted, fen in db.session.execute(select(P.account, P.kind, P.household_id, OrderLine.product_slug, P.posted_at, P.amount_fen)
                     .outerjoin(OrderLine, OrderLine.id == P.line_id).where(P.coop_id == coop_id))]


def _expected(postings, start, end):
    """The report's figures from single postings: (period, months, products, households, pending, owed)."""
    period, months, products = Figures(), defaultdict(Figures), defaultdict(Figures)
    households = defaultdict(lambda: defaultdict(int))
    pending = owed = 0
    for account, kind, hh, slug, posted, fen in postings:
        if account in COOP_ACCOUNTS:
            if account.endswith("_pending"):
                pending -= fen
            else:
                owed -= fen
        if hh:
            households[hh]["pending" if account == "household_pending" else "owed"] -= fen
        day = posted.date()
        if (start and day < start) or (end and day > end):
            continue
        period.add(kind, account, fen)
        months[f"{day:%Y-%m}"].add(kind, account, fen)
        if slug:
            products[slug].add(kind, account, fen)
        if hh:
            households[hh]["sold"] -= fen if kind == "payment" else 0
            households[hh]["refunded"] += fen if kind == "refund" else 0
            if account == "household_payable" and kind in ("settlement", "refund"):
                households[hh]["income"] -= fen
    return period, dict(months), dict(products), {hh: dict(v) for hh, v in households.items()}, pending, owed


def _check(coop_id, postings, start, end):
    report = build_earnings_report(coop_id, start, end)
    period, months, products, households, pending, owed = _expected(postings, start, end)
    assert report.period == period
    assert dict(report.months) == months
    assert {row.slug: row.figures for row in report.products} == products
    assert (report.pending_fen, report.owed_fen) == (pending, owed)
    got = {h.household_id: (h.sold_fen, h.refunded_fen, h.income_fen, h.pending_fen, h.owed_fen)
           for h in report.households}
    assert got == {hh: tuple(v.get(k, 0) for k in ("sold", "refunded", "income", "pending", "owed"))
                   for hh, v in households.items()}


def test_earnings_for_any_period_equal_the_postings_of_that_period(ctx):
    world = IncomeWorld()
    ctx.commit()
    assert check_ledger() == []  # the roll-up equals the postings
    postings = {coop.id: _postings(coop.id) for coop in world.coops}
    assert all(len(p) > 10 for p in postings.values())
    near = sorted({posted.date() + timedelta(days=d) for rows in postings.values() for *_, posted, _ in rows
                   for d in (-1, 0, 1)})
    # Whole months, months cut at either end or both, one day, an empty period, open ends.
    cases = [(None, None), (date(2026, 1, 1), date(2026, 1, 31)), (date(2026, 1, 31), date(2026, 2, 1)),
             (date(2026, 1, 15), date(2026, 3, 10)), (date(2026, 2, 1), None), (None, date(2026, 2, 14)),
             (date(2026, 3, 5), date(2026, 3, 5)), (date(2026, 3, 5), date(2026, 3, 1))]
    today = utcnow().astimezone(SHOP_TZ).date()  # the payments were posted today: this month is whole
    cases += [(today.replace(day=1), today), (today, today), (today, today + timedelta(days=40)),
              (today - timedelta(days=3), today), (date(2026, 2, 10), today)]
    for coop in world.coops:
        for start, end in cases:
            _check(coop.id, postings[coop.id], start, end)

    days = st.none() | st.sampled_from(near) | st.dates(FIRST_DAY, LAST_DAY)

    @settings(max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
    @given(coop=st.sampled_from([c.id for c in world.coops]), start=days, end=days)
    def check(coop, start, end):
        _check(coop, postings[coop], start, end)

    check()
