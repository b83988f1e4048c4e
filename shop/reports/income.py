"""Household income for staff: for any period, the households' shares of shipments settled in the
period, net of refunds settled in it (docs/DOMAIN.md): the ledger's household_payable postings, grouped by
household, village, county, cooperative, product category or registered-poor status. The same rows feed
the page, the CSV and Excel exports and the CLI.

Whole months are read from the roll-up post() keeps (household_income_months, checked against the postings
by `ledger check`); the days of a month that the period cuts are read from the postings themselves. A year
is then twelve sums per household instead of millions of postings (docs/PERFORMANCE.md). The roll-up has
no product category: grouped or filtered by category, the report sums the postings of the whole period."""
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import case, func, null, or_, select, union_all

from shop.catalog.models import Category, Product, Variant
from shop.coops.models import Cooperative
from shop.extensions import db
from shop.households.models import Household
from shop.ledger.models import HouseholdIncomeMonth as R, LedgerPosting as P
from shop.ledger.rollup import INCOME_KINDS, household_units, units_milli
from shop.orders.models import Allocation, OrderLine
from shop.places.models import County, Village
from shop.reports.periods import in_months, local_month, period_conditions, split_period_cheaply
from shop.supply.models import LotShare

GROUPS = ("household", "village", "county", "coop", "category", "poor")
SORTS = ("income", "name", "households")



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


# Not frozen: a frozen dataclass sets each field through object.__setattr__, and a year by household builds
# 10,000 of them.
@dataclass(slots=True)
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
    # Only for a household row: the ids and exact units the other groupings are summed from.
    place_ids: tuple[int, int, int] = (0, 0, 0)  # county, village, cooperative
    units_milli: int = 0


@dataclass
class IncomeReport:
    group: str
    filters: IncomeFilter
    rows: list[IncomeRow] = field(default_factory=list)
    total_fen: int = 0
    poor_total_fen: int = 0
    households: int = 0
    people: list[IncomeRow] | None = None  # the household rows the report was summed from (not by category)


def _edge(lo: date | None, hi: date | None, by_category: bool = False, sign: int = 1):
    """Income rows of the days lo..hi straight from the postings (with their lines' categories if asked);
    sign=-1 gives them negated, to take days out of a whole month."""
    settled = P.kind == "settlement"
    if sign < 0:
        # Taken out of a roll-up row: the units it was given when the posting was made (roll_up_income counts the
        # allocations held then; a restock may have released some since).
        held = (household_units()
                .where(Allocation.line_id == P.line_id, LotShare.household_id == P.household_id,
                       or_(Allocation.released_at.is_(None), Allocation.released_at > P.posted_at))
                .correlate(P).scalar_subquery())
        units_of = func.coalesce(held, 0)
    else:
        units = units_milli().subquery()
        units_of = func.coalesce(units.c.units, 0)
    stmt = (select(P.household_id.label("household_id"),
                   (Product.category_id if by_category else null()).label("category_id"),
                   local_month().label("month"), (-sign * P.amount_fen).label("income_fen"),
                   case((settled, sign * units_of), else_=0).label("units_milli"),
                   case((settled, sign), else_=0).label("shares")))
    if sign > 0:
        stmt = stmt.outerjoin(units, (units.c.line_id == P.line_id) & (units.c.household_id == P.household_id))
    stmt = (stmt
            .where(P.account == "household_payable", P.kind.in_(INCOME_KINDS), P.household_id.is_not(None),
                   *period_conditions(lo, hi)))
    if by_category:
        stmt = (stmt.join(OrderLine, OrderLine.id == P.line_id).join(Variant, Variant.id == OrderLine.variant_id)
                .join(Product, Product.id == Variant.product_id))
    return stmt


def _facts(filters: IncomeFilter, by_category: bool):
    """The period's income rows (household, category, month, income, units, shares): whole months from the
    roll-up, the days of a month the period cuts into from the postings."""
    if by_category:  # categories need the lines
        return _edge(filters.start, filters.end, by_category=True).subquery("facts")
    whole, edges, left_out = split_period_cheaply(filters.start, filters.end)
    parts = []
    if whole:
        parts.append(select(R.household_id, null().label("category_id"), R.month, R.income_fen, R.units_milli,
                            R.shares).where(*in_months(R.month, whole)))
    parts += [_edge(lo, hi) for lo, hi in edges]
    parts += [_edge(lo, hi, sign=-1) for lo, hi in left_out]
    if not parts:  # an empty period
        return _edge(filters.start, filters.end).subquery("facts")
    return (union_all(*parts) if len(parts) > 1 else parts[0]).subquery("facts")


def _base(filters: IncomeFilter, group: str):
    """The period's income rows joined to what the grouping and the filters need; and the rows' columns."""
    by_category = group == "category" or filters.category_id is not None
    facts = _facts(filters, by_category)
    if group != "month":  # summed per household (and category) before the joins: a year is 10,000 rows, not 120,000
        keys = [facts.c.household_id, facts.c.category_id]
        sums = [func.sum(facts.c[c]).label(c) for c in ("income_fen", "units_milli", "shares")]
        # A household whose days were all taken out of a whole month sums to nothing: it had no income then.
        facts = (select(*keys, *sums).group_by(*keys).having(or_(sums[0] != 0, sums[2] != 0))
                 .subquery("per_household"))
    f = facts.c
    # Only the joins the grouping or the filters need (every household has a village and a cooperative, so
    # they never drop a row): the trend by month over a year reads 180,000 rows, each join costs.
    stmt = select().select_from(facts).join(Household, Household.id == f.household_id)
    if group == "household" or filters.county_id is not None:
        stmt = stmt.join(Village, Village.id == Household.village_id).join(County, County.id == Village.county_id)
    if group == "household":
        stmt = stmt.join(Cooperative, Cooperative.id == Household.coop_id)
    if by_category:
        stmt = stmt.join(Category, Category.id == f.category_id)
    conds = []
    for column, value in ((County.id, filters.county_id), (Household.village_id, filters.village_id),
                          (Household.coop_id, filters.coop_id), (f.category_id, filters.category_id)):
        if value is not None:
            conds.append(column == value)
    if filters.poor is not None:
        conds.append((Household.poor_status == "confirmed") if filters.poor else (Household.poor_status != "confirmed"))
    return stmt.where(*conds), f


def build_income_report(filters: IncomeFilter, group: str = "village", sort: str = "income") -> IncomeReport:
    """Return household income for the filters, one row per group, with totals (1 query; 2 by category).

    Every grouping but category is summed in Python from one row per household (a few thousand rows), so
    that a page that shows a grouping and the households' distribution reads the period once."""
    group = group if group in GROUPS else "village"
    report = IncomeReport(group, filters)
    if group == "category":
        report.rows = _category_rows(filters)
        stmt, f = _base(filters, group)  # a household selling in two categories is in two rows: count it once
        report.households = int(db.session.scalar(stmt.add_columns(func.count(func.distinct(Household.id)))))
    else:
        report.people = _household_rows(filters)
        report.rows = report.people if group == "household" else _grouped(report.people, group)
        report.households = len(report.people)
    order = {"income": lambda r: (-r.income_fen, str(r.key)), "name": lambda r: (r.name_zh, str(r.key)),
             "households": lambda r: (-r.households, -r.income_fen, str(r.key))}
    report.rows.sort(key=order.get(sort, order["income"]))
    report.total_fen = sum(r.income_fen for r in report.rows)
    report.poor_total_fen = sum(r.poor_income_fen for r in report.rows)
    return report


def _household_rows(filters: IncomeFilter) -> list[IncomeRow]:
    """One row per household with income in the period, named and placed. The facts are summed per household
    (and category, of which a category filter leaves one) before the joins, so nothing is grouped here."""
    stmt, f = _base(filters, "household")
    stmt = stmt.add_columns(Household.id, Household.head_name, Household.poor_status, County.id, County.name_zh,
                            County.name_en, Village.id, Village.name_zh, Village.name_en, Cooperative.id,
                            Cooperative.name_zh, Cooperative.name_en, f.shares, f.units_milli, f.income_fen)
    rows = []
    for hid, name, status, county, county_zh, county_en, village, village_zh, village_en, coop, coop_zh, coop_en, \
            shares, units, fen in db.session.execute(stmt):
        poor, fen, units = status == "confirmed", int(fen or 0), int(units or 0)
        rows.append(IncomeRow(hid, name, name, 1, int(shares or 0), round(units / 1000, 1), fen, fen if poor else 0,
                              county_zh, county_en, village_zh, village_en, coop_zh, coop_en, poor,
                              (county, village, coop), units))
    return rows


def _grouped(people: list[IncomeRow], group: str) -> list[IncomeRow]:
    """Household rows summed by village, county, cooperative or registered-poor status."""
    if group == "poor":
        key_of = lambda p: ("poor", "poor", "poor") if p.registered_poor else ("other", "other", "other")  # noqa: E731
    else:
        at, zh, en = {"county": (0, "county_zh", "county_en"), "village": (1, "village_zh", "village_en"),
                      "coop": (2, "coop_zh", "coop_en")}[group]
        key_of = lambda p: (p.place_ids[at], getattr(p, zh), getattr(p, en))  # noqa: E731
    sums: dict = {}
    for p in people:
        key, name_zh, name_en = key_of(p)
        row = sums.get(key)
        if row is None:
            row = sums[key] = [name_zh, name_en, 0, 0, 0, 0, 0]
        row[2] += 1
        row[3] += p.shares
        row[4] += p.units_milli
        row[5] += p.income_fen
        row[6] += p.poor_income_fen
    return [IncomeRow(key, zh, en, n, shares, round(units / 1000, 1), fen, poor)
            for key, (zh, en, n, shares, units, fen, poor) in sums.items()]


def _category_rows(filters: IncomeFilter) -> list[IncomeRow]:
    key, name_zh, name_en = Category.id, Category.name_zh, Category.name_en
    stmt, f = _base(filters, "category")
    stmt = (stmt.add_columns(key, name_zh, name_en, func.count(func.distinct(Household.id)), func.sum(f.shares),
                             func.sum(f.units_milli), func.sum(f.income_fen),
                             func.sum(case((Household.poor_status == "confirmed", f.income_fen), else_=0)))
            .group_by(key, name_zh, name_en))
    return [IncomeRow(k, zh, en, int(households), int(shares or 0), round(int(units or 0) / 1000, 1), int(fen or 0),
                      int(poor_fen or 0))
            for k, zh, en, households, shares, units, fen, poor_fen in db.session.execute(stmt)]


def income_by_month(filters: IncomeFilter) -> list[tuple[str, int, int]]:
    """Return (YYYY-MM, income, of which registered-poor households) per Shanghai month, oldest first."""
    stmt, f = _base(filters, "month")
    stmt = (stmt.add_columns(f.month, func.sum(f.income_fen),
                             func.sum(case((Household.poor_status == "confirmed", f.income_fen), else_=0)))
            .group_by(f.month).having(or_(func.sum(f.income_fen) != 0, func.sum(f.shares) != 0))  # as _base
            .order_by(f.month))
    return [(mon, int(fen or 0), int(poor or 0)) for mon, fen, poor in db.session.execute(stmt)]


BUCKETS_FEN = (0, 10_000, 50_000, 100_000, 200_000, 500_000, 1_000_000)  # ¥0, ¥100, ¥500, ¥1,000 …


def income_distribution(rows: list[IncomeRow]) -> list[tuple[int, int | None, int, int]]:
    """Count households by income band from household rows: [(low_fen, high_fen or None, poor, others)];
    an income below zero counts in the lowest band."""
    counts = [[0, 0] for _ in BUCKETS_FEN]
    for row in rows:
        counts[max(bisect_right(BUCKETS_FEN, row.income_fen) - 1, 0)][0 if row.registered_poor else 1] += 1
    return [(low, high, poor, other)
            for low, high, (poor, other) in zip(BUCKETS_FEN, (*BUCKETS_FEN[1:], None), counts)]


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
    people = report.people if report.people is not None else build_income_report(filters, "household").rows
    spread = bar_chart(_("Households by income in the period"), [_("Registered poor"), _("Other households")],
                       [(format_fen(low)[:-3] + ("+" if high is None else ""), [poor, other])
                        for low, high, poor, other in income_distribution(people)])
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
