"""The staff dashboard's figures: sales, orders by state, late shipments, refunds and payouts waiting,
and the income reaching households (all money from the ledger), in a fixed number of queries."""
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import and_, case, func, select

from shop.extensions import db
from shop.ledger.models import PAYABLE, LedgerPosting as P
from shop.orders.models import Order, Shipment
from shop.payments.models import Refund
from shop.payouts.models import Payout
from shop.reports.periods import local_month, start_of
from shop.reports.income import IncomeFilter, build_income_report
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


def build_dashboard(now: datetime | None = None) -> Dashboard:
    """Return what staff see first: today's, this month's and this year's figures."""
    from shop.coops.models import Cooperative

    now = now or utcnow()
    today = now.astimezone(SHOP_TZ).date()
    month_start, year_start = today.replace(day=1), today.replace(month=1, day=1)
    dash = Dashboard()
    cash_in = case((P.kind.in_(("payment", "refund")), P.amount_fen), else_=0)
    since = {"today": start_of(today), "month": start_of(month_start), "year": start_of(year_start)}
    row = db.session.execute(select(*[func.coalesce(func.sum(case((P.posted_at >= start, cash_in), else_=0)), 0)
                                      for start in since.values()]).where(P.account == "cash")).one()
    dash.sales_fen = {name: int(value) for name, value in zip(since, row)}
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
    owed = select(P.coop_id, (-func.sum(P.amount_fen)).label("owed")).where(P.account.in_(PAYABLE)) \
        .group_by(P.coop_id).subquery()
    dash.payouts_due_fen = int(db.session.scalar(select(func.coalesce(func.sum(owed.c.owed), 0)).where(
        owed.c.owed >= max(1, current_app.config["PAYOUT_MINIMUM_FEN"]))))
    n, fen = db.session.execute(select(func.count(), func.coalesce(func.sum(Payout.signed_fen), 0))
                                .where(Payout.status == "pending")).one()
    dash.payouts_in_progress = (int(n), int(fen))
    for name, start in (("month", month_start), ("year", year_start)):
        report = build_income_report(IncomeFilter(start, today), "coop")
        dash.income[name] = (report.total_fen, report.poor_total_fen)
        if name == "year":
            dash.top_coops = report.rows[:5]
            dash.top_villages = build_income_report(IncomeFilter(start, today), "village").rows[:5]
    dash.months = _months(today)
    return dash


def _months(today: date) -> list[tuple[str, int, int]]:
    """Gross sales (money paid in, less refunds) and household income for the last twelve months; the income
    from the monthly roll-up (shop/ledger/rollup.py), which holds every posting up to now."""
    from shop.ledger.models import HouseholdIncomeMonth as R

    first = (today.replace(day=1) - timedelta(days=335)).replace(day=1)
    month = local_month()
    sales = dict(db.session.execute(
        select(month, func.sum(P.amount_fen))
        .where(P.posted_at >= start_of(first), P.account == "cash", P.kind.in_(("payment", "refund")))
        .group_by(month)).all())
    income = dict(db.session.execute(select(R.month, func.sum(R.income_fen)).where(R.month >= f"{first:%Y-%m}")
                                     .group_by(R.month)).all())
    return [(mon, int(sales.get(mon) or 0), int(income.get(mon) or 0)) for mon in sorted(set(sales) | set(income))]


def dashboard_chart(dash: Dashboard):
    """The last twelve months: gross sales beside the income that reached households."""
    from flask_babel import gettext as _

    from shop.money import format_fen
    from shop.reports.charts import bar_chart

    return bar_chart(_("Last twelve months"), [_("Gross sales"), _("Household income")],
                     [(mon, [sales, income]) for mon, sales, income in dash.months], format_fen)
