"""The staff dashboard's figures: sales, orders by state, late shipments, refunds and payouts waiting,
and the income reaching households (all money from the ledger), in a fixed number of queries."""
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import case, func, select

from shop.coops.models import Cooperative
from shop.extensions import db
from shop.households.models import Household
from shop.ledger.models import PAYABLE, LedgerMonth as M, LedgerPosting as P, LedgerTransaction as T
from shop.ledger.rollup import INCOME_KINDS, SALE_KINDS
from shop.orders.models import Order, Shipment
from shop.payments.models import Refund
from shop.payouts.models import Payout
from shop.places.models import Village
from shop.reports.periods import start_of
from shop.types import SHOP_TZ, utcnow

LATE_AFTER = timedelta(days=2)


@dataclass
class Dashboard:
    sales_fen: dict[str, int] = field(default_factory=dict)  # today, month, year: money paid in, less refunds
    orders_by_status: list[tuple[str, int]] = field(default_factory=list)
    late_shipments: list[tuple[str, str, int]] = field(default_factory=list)  # coop zh, en, count
    refunds_pending: tuple[int, int] = (0, 0)  # count, fen
    payouts_due_fen: int = 0  # owed to cooperatives at or above the payout minimum
    payouts_in_progress: tuple[int, int] = (0, 0)  # pending payouts: count, fen
    income: dict[str, tuple[int, int]] = field(default_factory=dict)  # month, year: (households, poor)
    months: list[tuple[str, int, int]] = field(default_factory=list)  # YYYY-MM, gross sales, household income
    top_coops: list = field(default_factory=list)
    top_villages: list = field(default_factory=list)


@dataclass(frozen=True)
class TopRow:
    key: int
    name_zh: str
    name_en: str
    income_fen: int


def build_dashboard(now: datetime | None = None) -> Dashboard:
    """Return what staff see first: today's, this month's and this year's figures. The money is read from the
    monthly roll-up (ledger_months), a few thousand rows whatever the size of the ledger, and today's sales
    from today's postings."""
    now = now or utcnow()
    today = now.astimezone(SHOP_TZ).date()
    month_start, year_start = today.replace(day=1), today.replace(month=1, day=1)
    first = (month_start - timedelta(days=335)).replace(day=1)  # of the twelve months charted
    this_month, this_year = f"{month_start:%Y-%m}", f"{year_start:%Y-%m}"
    dash = Dashboard()
    sales = dict(db.session.execute(
        select(M.month, func.sum(M.amount_fen))
        .where(M.coop_id == 0, M.account == "cash", M.kind.in_(SALE_KINDS), M.month >= min(f"{first:%Y-%m}", this_year))
        .group_by(M.month)).all())
    today_sales = db.session.scalar(
        select(func.coalesce(func.sum(P.amount_fen), 0)).join(T, T.id == P.txn_id)
        .where(T.posted_at >= start_of(today), T.kind.in_(SALE_KINDS), P.account == "cash"))
    dash.sales_fen = {"today": int(today_sales)} | {  # since the start of the day, month, year
        name: sum(int(fen) for mon, fen in sales.items() if mon >= since)
        for name, since in (("month", this_month), ("year", this_year))}
    dash.orders_by_status = [(status, int(n)) for status, n in db.session.execute(
        select(Order.status, func.count()).group_by(Order.status).order_by(func.count().desc()))]
    dash.late_shipments = [(zh, en, int(n)) for zh, en, n in db.session.execute(
        select(Cooperative.name_zh, Cooperative.name_en, func.count()).select_from(Shipment)
        .join(Order, Order.id == Shipment.order_id).join(Cooperative, Cooperative.id == Shipment.coop_id)
        .where(Shipment.status == "awaiting_fulfilment", Order.paid_at <= now - LATE_AFTER)
        .group_by(Cooperative.id, Cooperative.name_zh, Cooperative.name_en).order_by(func.count().desc()))]
    n, fen = db.session.execute(select(func.count(), func.coalesce(func.sum(Refund.amount_fen), 0))
                                .where(Refund.status == "pending")).one()
    dash.refunds_pending = (int(n), int(fen))
    owed = select(M.coop_id, (-func.sum(M.amount_fen)).label("owed")).where(M.account.in_(PAYABLE)) \
        .group_by(M.coop_id).subquery()
    dash.payouts_due_fen = int(db.session.scalar(select(func.coalesce(func.sum(owed.c.owed), 0)).where(
        owed.c.owed >= max(1, current_app.config["PAYOUT_MINIMUM_FEN"]))))
    n, fen = db.session.execute(select(func.count(), func.coalesce(func.sum(Payout.signed_fen), 0))
                                .where(Payout.status == "pending")).one()
    dash.payouts_in_progress = (int(n), int(fen))

    # Household income (settled shares less refunds after settlement): by month for the chart; and this year
    # by cooperative, village and registered-poor status, this month beside it.
    income = M.account == "household_payable", M.kind.in_(INCOME_KINDS)
    income_months = {mon: -int(fen) for mon, fen in db.session.execute(
        select(M.month, func.sum(M.amount_fen)).where(*income, M.month >= f"{first:%Y-%m}").group_by(M.month))}
    totals = {"month": [0, 0], "year": [0, 0]}
    coops: dict[int, int] = defaultdict(int)
    villages: dict[int, int] = defaultdict(int)
    poor = Household.poor_status == "confirmed"
    for coop_id, village_id, is_poor, year, month in db.session.execute(
            select(M.coop_id, Household.village_id, poor, -func.sum(M.amount_fen),
                   -func.sum(case((M.month >= this_month, M.amount_fen), else_=0)))
            .join(Household, Household.id == M.household_id).where(*income, M.month >= this_year)
            .group_by(M.coop_id, Household.village_id, poor)):
        for name, fen in (("year", int(year)), ("month", int(month))):
            totals[name][0] += fen
            totals[name][1] += fen if is_poor else 0
        coops[coop_id] += int(year)
        villages[village_id] += int(year)
    dash.income = {name: tuple(pair) for name, pair in totals.items()}
    dash.top_coops = _top(Cooperative, coops)
    dash.top_villages = _top(Village, villages)
    dash.months = [(mon, int(sales.get(mon) or 0), income_months.get(mon, 0))
                   for mon in sorted(set(sales) | set(income_months)) if mon >= f"{first:%Y-%m}"]
    return dash


def _top(model, income: dict[int, int], count: int = 5) -> list[TopRow]:
    """The places or cooperatives with the most income (above zero), named."""
    top = sorted(((fen, key) for key, fen in income.items() if fen > 0), key=lambda t: (-t[0], t[1]))[:count]
    if not top:
        return []
    names = {key: (zh, en) for key, zh, en in db.session.execute(
        select(model.id, model.name_zh, model.name_en).where(model.id.in_([key for _, key in top])))}
    return [TopRow(key, *names[key], fen) for fen, key in top]


def dashboard_chart(dash: Dashboard):
    """The last twelve months: gross sales beside the income that reached households."""
    from flask_babel import gettext as _

    from shop.money import format_fen
    from shop.reports.charts import bar_chart

    return bar_chart(_("Last twelve months"), [_("Gross sales"), _("Household income")],
                     [(mon, [sales, income]) for mon, sales, income in dash.months], format_fen)
