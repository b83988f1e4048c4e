"""Household income for staff: for any period, the households' shares of shipments settled in the
period, net of refunds settled in it (docs/DOMAIN.md), read from the ledger's household_payable
postings and grouped by household, village, county, cooperative, product category or
registered-poor status. The same rows feed the page, the CSV and Excel exports and the CLI."""
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import case, func, literal, select

from shop.catalog.models import Category, Product, Variant
from shop.coops.models import Cooperative
from shop.extensions import db
from shop.households.models import Household
from shop.ledger.models import LedgerPosting as P
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
    lines: int
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


def _base(filters: IncomeFilter, group: str):
    """The postings that make income, joined to what the grouping and the filters need."""
    by_category = group == "category" or filters.category_id is not None
    stmt = (select().select_from(P).join(Household, Household.id == P.household_id)
            .join(Village, Village.id == Household.village_id).join(County, County.id == Village.county_id)
            .join(Cooperative, Cooperative.id == Household.coop_id))
    if by_category:
        stmt = (stmt.join(OrderLine, OrderLine.id == P.line_id).join(Variant, Variant.id == OrderLine.variant_id)
                .join(Product, Product.id == Variant.product_id).join(Category, Category.id == Product.category_id))
    conds = [P.account == "household_payable", P.kind.in_(INCOME_KINDS), *period_conditions(filters.start, filters.end)]
    for column, value in ((County.id, filters.county_id), (Village.id, filters.village_id),
                          (Cooperative.id, filters.coop_id), (Category.id, filters.category_id)):
        if value is not None:
            conds.append(column == value)
    if filters.poor is not None:
        conds.append((Household.poor_status == "confirmed") if filters.poor else (Household.poor_status != "confirmed"))
    return stmt.where(*conds)


def build_income_report(filters: IncomeFilter, group: str = "village", sort: str = "income") -> IncomeReport:
    """Return household income for the filters, one row per group, with totals (2 queries)."""
    group = group if group in GROUPS else "village"
    key, name_zh, name_en = _group_columns(group)
    income = -func.sum(P.amount_fen)
    poor_income = -func.sum(case((Household.poor_status == "confirmed", P.amount_fen), else_=0))
    extra = (County.name_zh, County.name_en, Village.name_zh, Village.name_en, Cooperative.name_zh,
             Cooperative.name_en, Household.poor_status) if group == "household" else ()
    stmt = (_base(filters, group)
            .add_columns(key, name_zh, name_en, func.count(func.distinct(Household.id)),
                         func.count(func.distinct(P.line_id)), income, poor_income, *extra)
            .group_by(key, name_zh, name_en, *extra))
    report = IncomeReport(group, filters)
    units = _units(filters, group, key)
    for k, zh, en, households, lines, fen, poor_fen, *where in db.session.execute(stmt):
        place = {}
        if where:
            place = dict(zip(("county_zh", "county_en", "village_zh", "village_en", "coop_zh", "coop_en"), where))
            place["registered_poor"] = where[-1] == "confirmed"
        report.rows.append(IncomeRow(k, zh, en, int(households), int(lines), round(units.get(k, 0.0), 1),
                                     int(fen or 0), int(poor_fen or 0), **place))
    order = {"income": lambda r: (-r.income_fen, str(r.key)), "name": lambda r: (r.name_zh, str(r.key)),
             "households": lambda r: (-r.households, -r.income_fen, str(r.key))}
    report.rows.sort(key=order.get(sort, order["income"]))
    totals = db.session.execute(_base(filters, group).add_columns(
        func.count(func.distinct(Household.id)), income, poor_income)).one()
    report.households, report.total_fen, report.poor_total_fen = int(totals[0]), int(totals[1] or 0), int(totals[2] or 0)
    return report


def _units(filters: IncomeFilter, group: str, key) -> dict:
    """Units sold per group: each settled line's units from a lot, times the household's part of that lot."""
    from shop.orders.models import Allocation
    from shop.supply.models import LotShare, SupplyLot

    stmt = (_base(filters, group).where(P.kind == "settlement")
            .join(Allocation, (Allocation.line_id == P.line_id) & Allocation.released_at.is_(None))
            .join(LotShare, (LotShare.lot_id == Allocation.lot_id) & (LotShare.household_id == P.household_id))
            .join(SupplyLot, SupplyLot.id == Allocation.lot_id)
            .add_columns(key, func.sum(Allocation.units * LotShare.units * 1.0 / SupplyLot.units_received))
            .group_by(key))
    return {k: float(u or 0) for k, u in db.session.execute(stmt)}


def income_by_month(filters: IncomeFilter) -> list[tuple[str, int, int]]:
    """Return (YYYY-MM, income, of which registered-poor households) per Shanghai month, oldest first."""
    month = local_month()
    stmt = (_base(filters, "month").add_columns(
        month, -func.sum(P.amount_fen), -func.sum(case((Household.poor_status == "confirmed", P.amount_fen), else_=0)))
        .group_by(month).order_by(month))
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
