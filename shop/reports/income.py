"""Household income for staff: for any period, the households' shares of shipments settled in the
period, net of refunds settled in it (docs/DOMAIN.md): the ledger's household_payable postings, grouped by
household, village, county, cooperative, product category or registered-poor status. The same rows feed
the page, the CSV and Excel exports and the CLI.

Whole months are read from the roll-up post() keeps (household_income_months, checked against the postings
by `ledger check`); the days of a month that the period cuts are read from the postings themselves. A year
is then twelve sums per household instead of millions of postings (docs/PERFORMANCE.md). The roll-up has
no product category: grouped or filtered by category, the report sums the postings of the whole period."""
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import case, func, literal, null, select, union_all

from shop.catalog.models import Category, Product, Variant
from shop.coops.models import Cooperative
from shop.extensions import db
from shop.households.models import Household
from shop.ledger.models import HouseholdIncomeMonth as R, LedgerPosting as P
from shop.ledger.rollup import units_milli
from shop.orders.models import OrderLine
from shop.places.models import County, Village
from shop.reports.periods import local_month, period_conditions

GROUPS = ("household", "village", "county", "coop", "category", "poor")
SORTS = ("income", "name", "households")
INCOME_KINDS = ("settlement", "refund")


@dataclass(frozen=True)
class IncomeFilter:
    """Which income to count: a period of Shanghai dates and optional filters (ids, or poor yes/no)."""

    start: date | None = None
    end: date | None = None
    county_id: int | None = None
    village_id: int | None = None
    coop_id: int | None = None
    category_id: int | None = None
    poor: bool | None = None


@dataclass(frozen=True)
class IncomeRow:
    key: int | str
    name_zh: str
    name_en: str
    households: int
    shares: int  # (order line, household) shares settled: a line three households supplied counts three times
    units_sold: float  # the households' units of the lines settled, from the lots' shares
    income_fen: int
    poor_income_fen: int
    # Only for a household row: where it is.
    county_zh: str = ""
    county_en: str = ""
    village_zh: str = ""
    village_en: str = ""
    coop_zh: str = ""
    coop_en: str = ""
    registered_poor: bool | None = None


@dataclass
class IncomeReport:
    group: str
    filters: IncomeFilter
    rows: list[IncomeRow] = field(default_factory=list)
    total_fen: int = 0
    poor_total_fen: int = 0
    households: int = 0


def _group_columns(group: str):
    """(key, name_zh, name_en) columns for a grouping."""
    poor_key = case((Household.poor_status == "confirmed", literal("poor")), else_=literal("other"))
    return {
        "household": (Household.id, Household.head_name, Household.head_name),
        "village": (Village.id, Village.name_zh, Village.name_en),
        "county": (County.id, County.name_zh, County.name_en),
        "coop": (Cooperative.id, Cooperative.name_zh, Cooperative.name_en),
        "category": (Category.id, Category.name_zh, Category.name_en),
        "poor": (poor_key, poor_key, poor_key),
    }[group]


def _month(day: date) -> str:
    return f"{day:%Y-%m}"


def _next_month(day: date) -> date:
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)


def _edge(lo: date | None, hi: date | None):
    """Income rows of the days lo..hi straight from the postings."""
    units = units_milli().subquery()
    settled = P.kind == "settlement"
    return (select(P.household_id.label("household_id"), Product.category_id.label("category_id"),
                   local_month().label("month"), (-P.amount_fen).label("income_fen"),
                   case((settled, func.coalesce(units.c.units, 0)), else_=0).label("units_milli"),
                   case((settled, 1), else_=0).label("shares"))
            .join(OrderLine, OrderLine.id == P.line_id).join(Variant, Variant.id == OrderLine.variant_id)
            .join(Product, Product.id == Variant.product_id)
            .outerjoin(units, (units.c.line_id == P.line_id) & (units.c.household_id == P.household_id))
            .where(P.account == "household_payable", P.kind.in_(INCOME_KINDS), P.household_id.is_not(None),
                   *period_conditions(lo, hi)))


def _facts(filters: IncomeFilter, by_category: bool):
    """The period's income rows (household, category, month, income, units, shares): whole months from the
    roll-up, the days of a month the period cuts into from the postings."""
    start, end = filters.start, filters.end
    if (start and end and start > end) or by_category:  # an empty period; or categories, which need the lines
        return _edge(start, end).subquery("facts")
    first_full = start if start is None or start.day == 1 else _next_month(start)
    last_full = end if end is None or _next_month(end) - timedelta(days=1) == end \
        else end.replace(day=1) - timedelta(days=1)
    parts, edges = [], []
    if first_full is None or last_full is None or first_full <= last_full:
        whole = select(R.household_id, null().label("category_id"), R.month, R.income_fen, R.units_milli, R.shares)
        if first_full is not None:
            whole = whole.where(R.month >= _month(first_full))
        if last_full is not None:
            whole = whole.where(R.month <= _month(last_full))
        parts.append(whole)
    if start and start != first_full:  # the period starts inside a month
        month_end = _next_month(start) - timedelta(days=1)
        edges.append((start, min(month_end, end) if end else month_end))
    if end and end != last_full and (not edges or end.replace(day=1) > edges[0][1]):  # it ends inside another
        edges.append((max(end.replace(day=1), start) if start else end.replace(day=1), end))
    parts += [_edge(lo, hi) for lo, hi in edges]
    return (union_all(*parts) if len(parts) > 1 else parts[0]).subquery("facts")


def _base(filters: IncomeFilter, group: str):
    """The period's income rows joined to what the grouping and the filters need; and the rows' columns."""
    by_category = group == "category" or filters.category_id is not None
    facts = _facts(filters, by_category)
    f = facts.c
    stmt = (select().select_from(facts).join(Household, Household.id == f.household_id)
            .join(Village, Village.id == Household.village_id).join(County, County.id == Village.county_id)
            .join(Cooperative, Cooperative.id == Household.coop_id))
    if by_category:
        stmt = stmt.join(Category, Category.id == f.category_id)
    conds = []
    for column, value in ((County.id, filters.county_id), (Village.id, filters.village_id),
                          (Cooperative.id, filters.coop_id), (f.category_id, filters.category_id)):
        if value is not None:
            conds.append(column == value)
    if filters.poor is not None:
        conds.append((Household.poor_status == "confirmed") if filters.poor else (Household.poor_status != "confirmed"))
    return stmt.where(*conds), f


def build_income_report(filters: IncomeFilter, group: str = "village", sort: str = "income") -> IncomeReport:
    """Return household income for the filters, one row per group, with totals (1 query; 2 by category)."""
    group = group if group in GROUPS else "village"
    key, name_zh, name_en = _group_columns(group)
    stmt, f = _base(filters, group)
    income = func.sum(f.income_fen)
    poor_income = func.sum(case((Household.poor_status == "confirmed", f.income_fen), else_=0))
    extra = (County.name_zh, County.name_en, Village.name_zh, Village.name_en, Cooperative.name_zh,
             Cooperative.name_en, Household.poor_status) if group == "household" else ()
    stmt = (stmt.add_columns(key, name_zh, name_en, func.count(func.distinct(Household.id)), func.sum(f.shares),
                             func.sum(f.units_milli), income, poor_income, *extra)
            .group_by(key, name_zh, name_en, *extra))
    report = IncomeReport(group, filters)
    for k, zh, en, households, shares, units, fen, poor_fen, *where in db.session.execute(stmt):
        place = {}
        if where:
            place = dict(zip(("county_zh", "county_en", "village_zh", "village_en", "coop_zh", "coop_en"), where))
            place["registered_poor"] = where[-1] == "confirmed"
        report.rows.append(IncomeRow(k, zh, en, int(households), int(shares or 0), round(int(units or 0) / 1000, 1),
                                     int(fen or 0), int(poor_fen or 0), **place))
    order = {"income": lambda r: (-r.income_fen, str(r.key)), "name": lambda r: (r.name_zh, str(r.key)),
             "households": lambda r: (-r.households, -r.income_fen, str(r.key))}
    report.rows.sort(key=order.get(sort, order["income"]))
    report.total_fen = sum(r.income_fen for r in report.rows)
    report.poor_total_fen = sum(r.poor_income_fen for r in report.rows)
    if group == "category":  # a household selling in two categories is in two rows: count it once
        stmt, f = _base(filters, group)
        report.households = int(db.session.scalar(stmt.add_columns(func.count(func.distinct(Household.id)))))
    else:  # every household is in exactly one row
        report.households = sum(r.households for r in report.rows)
    return report


def income_by_month(filters: IncomeFilter) -> list[tuple[str, int, int]]:
    """Return (YYYY-MM, income, of which registered-poor households) per Shanghai month, oldest first."""
    stmt, f = _base(filters, "month")
    stmt = (stmt.add_columns(f.month, func.sum(f.income_fen),
                             func.sum(case((Household.poor_status == "confirmed", f.income_fen), else_=0)))
            .group_by(f.month).order_by(f.month))
    return [(mon, int(fen or 0), int(poor or 0)) for mon, fen, poor in db.session.execute(stmt)]


BUCKETS_FEN = (0, 10_000, 50_000, 100_000, 200_000, 500_000, 1_000_000)  # ¥0, ¥100, ¥500, ¥1,000 …


def income_distribution(rows: list[IncomeRow]) -> list[tuple[int, int | None, int, int]]:
    """Count households by income band from household rows: [(low_fen, high_fen or None, poor, others)]."""
    bands = [[low, high, 0, 0] for low, high in zip(BUCKETS_FEN, (*BUCKETS_FEN[1:], None))]
    for row in rows:
        band = next(b for b in reversed(bands) if row.income_fen >= b[0]) if row.income_fen >= 0 else bands[0]
        band[2 if row.registered_poor else 3] += 1
    return [tuple(b) for b in bands]


def list_filter_choices() -> tuple[list, list, list, list]:
    """Return (id, name_zh, name_en) of counties, villages, cooperatives and categories for the filters."""
    def rows(model, order):
        return db.session.execute(select(model.id, model.name_zh, model.name_en).order_by(order)).all()
    return (rows(County, County.id), rows(Village, Village.id), rows(Cooperative, Cooperative.id),
            rows(Category, Category.position))


def build_income_charts(filters: IncomeFilter, report: IncomeReport):
    """Return the monthly trend and the income distribution charts for the report's filters."""
    from flask_babel import gettext as _

    from shop.money import format_fen
    from shop.reports.charts import bar_chart

    months = income_by_month(filters)[-12:]
    trend = bar_chart(_("Household income by month"), [_("All households"), _("Registered poor")],
                      [(mon, [fen, poor]) for mon, fen, poor in months], format_fen)
    people = report if report.group == "household" else build_income_report(filters, "household")
    spread = bar_chart(_("Households by income in the period"), [_("Registered poor"), _("Other households")],
                       [(format_fen(low)[:-3] + ("+" if high is None else ""), [poor, other])
                        for low, high, poor, other in income_distribution(people.rows)])
    return trend, spread


@dataclass(frozen=True)
class HouseholdLine:
    """One order line's part of a household's income in a period: its settled share and refunds taken back."""

    line_id: int | None
    order_number: str
    product_zh: str
    product_en: str
    settled_fen: int
    refunded_fen: int

    @property
    def income_fen(self) -> int:
        return self.settled_fen - self.refunded_fen


def household_income_lines(household_id: int, start: date | None, end: date | None) -> list[HouseholdLine]:
    """The household's income in the period by order line, from the postings the report's roll-up sums
    (1 query); the lines' income adds up to the household's row of build_income_report for the period."""
    from shop.orders.models import Order

    settled = -func.sum(case((P.kind == "settlement", P.amount_fen), else_=0))
    refunded = func.sum(case((P.kind == "refund", P.amount_fen), else_=0))
    stmt = (select().select_from(P)
            .where(P.household_id == household_id, P.account == "household_payable", P.kind.in_(INCOME_KINDS),
                   *period_conditions(start, end))
            .outerjoin(OrderLine, OrderLine.id == P.line_id).outerjoin(Order, Order.id == OrderLine.order_id)
            .outerjoin(Variant, Variant.id == OrderLine.variant_id).outerjoin(Product, Product.id == Variant.product_id)
            .add_columns(P.line_id, Order.number, Product.name_zh, Product.name_en, settled, refunded)
            .group_by(P.line_id, Order.number, Product.name_zh, Product.name_en)
            .order_by(Order.number, P.line_id))
    return [HouseholdLine(line, number or "", zh or "", en or "", int(s or 0), int(r or 0))
            for line, number, zh, en, s, r in db.session.execute(stmt)]
