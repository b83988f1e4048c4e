"""The staff dashboard reads its money from the monthly roll-up (ledger_months) and today's postings. Its
figures must equal the postings summed one by one: sales, payouts due, household income and the
registered-poor part of it, the cooperatives and villages with the most income, and the twelve-month chart."""
from collections import defaultdict
from datetime import timedelta

from sqlalchemy import select

from shop.extensions import db
from shop.households.models import Household
from shop.ledger.models import PAYABLE, LedgerPosting as P
from shop.reports.dashboard import build_dashboard
from shop.types import SHOP_TZ, utcnow
from tests.reports.income_world import IncomeWorld, shanghai


def _expected(now, minimum):
    """The dashboard's money from single postings: everything since the start of the day, month or year."""
    today = now.astimezone(SHOP_TZ).date()
    since = {"today": today, "month": today.replace(day=1), "year": today.replace(month=1, day=1)}
    first = (today.replace(day=1) - timedelta(days=335)).replace(day=1)
    where = {hh: (village, status == "confirmed") for hh, village, status in
             db.session.execute(select(Household.id, Household.village_id, Household.poor_status))}
    sales = dict.fromkeys(since, 0)
    income = {name: [0, 0] for name in ("month", "year")}
    owed, coops, villages = defaultdict(int), defaultdict(int), defaultdict(int)
    months = defaultdict(lambda: [0, 0])
    for account, kind, coop, hh, posted, fen in db.session.execute(
            select(P.account, P.kind, P.coop_id, P.household_id, P.posted_at, P.amount_fen)):
        day = posted.astimezone(SHOP_TZ).date()
        mon = f"{day:%Y-%m}"
        if account == "cash" and kind in ("payment", "refund"):
            for name, start in since.items():
                sales[name] += fen if day >= start else 0
            if day >= first:
                months[mon][0] += fen
        if account in PAYABLE:
            owed[coop] -= fen
        if account == "household_payable" and kind in ("settlement", "refund"):
            village, poor = where[hh]
            for name in income:
                if day >= since[name]:
                    income[name][0] -= fen
                    income[name][1] -= fen if poor else 0
            if day >= since["year"]:
                coops[coop] -= fen
                villages[village] -= fen
            if day >= first:
                months[mon][1] -= fen
    top = lambda sums: sorted(((k, v) for k, v in sums.items() if v > 0), key=lambda t: (-t[1], t[0]))[:5]  # noqa: E731
    return {"sales": sales, "income": {k: tuple(v) for k, v in income.items()},
            "due": sum(v for v in owed.values() if v >= max(1, minimum)), "coops": top(coops),
            "villages": top(villages), "months": sorted((m, s, i) for m, (s, i) in months.items())}


def test_dashboard_money_equals_the_postings_whatever_the_day(app, ctx, monkeypatch):
    world = IncomeWorld()
    ctx.commit()
    # Not yet paid out: a settled sale after the payout run leaves money due.
    assert _expected(utcnow(), 1)["due"] > 0
    days = (utcnow(), shanghai(2026, 6, 10, 12, 0), shanghai(2026, 3, 31, 23, 59, 59), shanghai(2026, 1, 1, 0, 0))
    for now in days:
        for minimum in (app.config["PAYOUT_MINIMUM_FEN"], 1, 10**9):
            monkeypatch.setitem(app.config, "PAYOUT_MINIMUM_FEN", minimum)
            dash, want = build_dashboard(now), _expected(now, minimum)
            assert dash.sales_fen == want["sales"], now
            assert dash.income == want["income"], now
            assert dash.payouts_due_fen == want["due"], (now, minimum)
            assert [(r.key, r.income_fen) for r in dash.top_coops] == want["coops"]
            assert [(r.key, r.income_fen) for r in dash.top_villages] == want["villages"]
            assert dash.months == want["months"], now
    assert dash.income["year"][0] > 0 and dash.income["year"][1] > 0  # there is something to compare
    assert {r.key for r in dash.top_coops} <= {c.id for c in world.coops}
