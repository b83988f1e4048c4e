"""A cooperative's earnings, read from the ledger, so that every figure equals what payouts pay.

For a period (Shanghai dates, both ends included; none = since the start):
  - sales: gross of the lines paid in the period, split into commission F, retention K and the
    household pool H, plus shipping fees;
  - refunds: what refunds that succeeded in the period gave back;
  - settled: what became payable in the period (shipments settled, less refunds after settlement);
  - paid out: what payouts in the period covered.
And at this moment: still pending (not yet settled) and owed (settled, not yet paid out) — the
next payout pays exactly the owed balance."""
import csv
import io
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import and_, case, func, literal, or_, select

from shop.extensions import db
from shop.households.models import Household, mask
from shop.catalog.models import Product
from shop.ledger.models import LedgerMonth as M, LedgerPosting as P
from shop.money import fen_to_yuan_str
from shop.spreadsheet import spreadsheet_safe
from shop.ledger.rollup import SALE_KINDS, first_line_postings, line_units
from shop.orders.models import OrderLine
from shop.places.models import Village
from shop.reports.periods import in_months, local_month, period_conditions, split_period

CSV_TABLES = ("products", "months", "households")
COOP_ACCOUNTS = ("retention_pending", "retention_payable", "shipping_pending", "shipping_payable",
                 "household_pending", "household_payable")


@dataclass
class Figures:
    """Money of a group of postings, all in fen, as the cooperative sees it (positive = in its favour)."""

    gross_fen: int = 0
    commission_fen: int = 0
    retention_fen: int = 0
    pool_fen: int = 0
    shipping_fen: int = 0
    refunded_fen: int = 0
    settled_fen: int = 0
    paid_out_fen: int = 0

    def add(self, kind: str, account: str, fen: int) -> None:
        """Count one (kind, account) sum of postings, fen as posted (credit negative)."""
        owed = -fen
        if kind == "payment":
            if account == "commission":
                self.commission_fen += owed
            elif account.startswith("retention"):
                self.retention_fen += owed
            elif account.startswith("household"):
                self.pool_fen += owed
            elif account.startswith("shipping"):
                self.shipping_fen += owed
            if account != "payout_transit" and not account.startswith("shipping"):
                self.gross_fen += owed
        elif kind == "refund" and account in COOP_ACCOUNTS + ("commission",):
            self.refunded_fen += fen
        if account.endswith("_payable"):
            if kind in ("settlement", "refund"):
                self.settled_fen += owed
            elif kind in ("payout", "payout_cancelled"):
                self.paid_out_fen += fen

    @property
    def net_sales_fen(self) -> int:
        return self.gross_fen + self.shipping_fen - self.refunded_fen


@dataclass(frozen=True)
class ProductRow:
    slug: str
    name_zh: str
    name_en: str
    units: int  # sold in the period
    figures: Figures


@dataclass(frozen=True)
class HouseholdRow:
    household_id: int
    head_name: str
    village_zh: str
    village_en: str
    registry_code_masked: str
    registered_poor: bool
    sold_fen: int  # shares of lines paid in the period
    refunded_fen: int
    income_fen: int  # settled in the period, net of refunds after settlement
    pending_fen: int  # now: not yet settled
    owed_fen: int  # now: settled, not yet paid out


@dataclass
class EarningsReport:
    start: date | None
    end: date | None
    period: Figures = field(default_factory=Figures)
    pending_fen: int = 0  # now, all cooperative and household money not yet settled
    owed_fen: int = 0  # now, settled and not yet paid out: what the next payout pays
    products: list[ProductRow] = field(default_factory=list)
    months: list[tuple[str, Figures]] = field(default_factory=list)
    households: list[HouseholdRow] = field(default_factory=list)


def build_earnings_report(coop_id: int, start: date | None = None, end: date | None = None) -> EarningsReport:
    """Return the cooperative's earnings for a period, by month, product and household (3 to 4 queries).

    The monthly roll-up (ledger_months, kept by post() and checked against the postings by `ledger check`)
    gives the whole months of the period, the balances now and each household's and product's figures: a
    cooperative's few thousand month rows instead of its hundred thousand postings. The days of a month the
    period cuts into are summed from the postings; the names of the households and products come last."""
    report = EarningsReport(start, end)
    whole, edges = split_period(start, end)
    by_month: dict[str, Figures] = defaultdict(Figures)
    households: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    products: dict[str, Figures] = defaultdict(Figures)
    units: dict[str, int] = defaultdict(int)

    def count(account, kind, hh, slug, mon, fen, qty):
        """Add one sum of the period's postings to the period, its month, its product and its household."""
        report.period.add(kind, account, fen)
        by_month[mon].add(kind, account, fen)
        if slug:
            products[slug].add(kind, account, fen)
            units[slug] += qty
        if hh:
            row = households[hh]
            row["sold"] -= fen if kind == "payment" else 0
            row["refunded"] += fen if kind == "refund" else 0
            if account == "household_payable" and kind in ("settlement", "refund"):
                row["income"] -= fen

    in_whole = and_(literal(True), *in_months(M.month, whole)) if whole else literal(False)
    for account, kind, hh, slug, mon, fen, qty, period in db.session.execute(
            select(M.account, M.kind, M.household_id, M.product_slug, M.month, M.amount_fen, M.units, in_whole)
            .where(M.coop_id == coop_id)):
        if account in COOP_ACCOUNTS:  # the balances now, from every month
            if account.endswith("_pending"):
                report.pending_fen -= fen
            else:
                report.owed_fen -= fen
        if hh:
            households[hh]["pending" if account == "household_pending" else "owed"] -= fen
        if period:
            count(account, kind, hh, slug, mon, fen, qty)
    if edges:
        for row in db.session.execute(_edge_days(coop_id, edges)):
            count(*row[:5], int(row[5]), int(row[6]))
    report.months = sorted(by_month.items(), reverse=True)
    report.products = _products(products, units)
    report.households = _households(households)
    return report


def _edge_days(coop_id: int, edges: list[tuple[date, date]]):
    """The cooperative's postings of some days, summed as the roll-up sums them."""
    sale_line = and_(P.kind.in_(SALE_KINDS), P.line_id.is_not(None))
    slug = case((sale_line, OrderLine.product_slug), else_=literal(""))
    days = or_(*[and_(*period_conditions(lo, hi)) for lo, hi in edges])
    first = first_line_postings(P.coop_id == coop_id, days)
    month = local_month()
    keys = (P.account, P.kind, func.coalesce(P.household_id, 0), slug, month)
    return (select(*keys, func.sum(P.amount_fen), func.coalesce(func.sum(line_units(first)), 0))
            .select_from(P).outerjoin(OrderLine, OrderLine.id == P.line_id)
            .outerjoin(first, first.c.first_id == P.id)
            .where(P.coop_id == coop_id, days)
            .group_by(*keys))


def earnings_chart(report: EarningsReport):
    """The report's last twelve months, oldest first: goods sold beside the household pool they carried."""
    from shop.money import format_fen
    from shop.reports.charts import bar_chart

    months = sorted(report.months)[-12:]
    return bar_chart(_("Sales and household pool by month"), [_("Sales (goods)"), _("Household pool")],
                     [(mon, [f.gross_fen, f.pool_fen]) for mon, f in months], format_fen)


def _products(figures: dict[str, Figures], units: dict[str, int]) -> list[ProductRow]:
    """Sales and refunds per product in the period, largest gross first, named as the catalogue names them now."""
    names = {slug: (zh, en) for slug, zh, en in db.session.execute(
        select(Product.slug, Product.name_zh, Product.name_en).where(Product.slug.in_(list(figures))))} \
        if figures else {}
    return sorted((ProductRow(slug, *names.get(slug, (slug, slug)), units[slug], figures[slug]) for slug in figures),
                  key=lambda row: (-row.figures.gross_fen, row.slug))


def _households(sums: dict[int, dict[str, int]]) -> list[HouseholdRow]:
    """The member households with postings, named and placed, with their figures; most income first."""
    if not sums:
        return []
    people = db.session.execute(
        select(Household.id, Household.head_name, Village.name_zh, Village.name_en, Household.registry_code,
               Household.poor_status).join(Village, Village.id == Household.village_id)
        .where(Household.id.in_(list(sums)))).all()
    rows = [HouseholdRow(hid, name, vzh, ven, mask(code), poor == "confirmed", sums[hid]["sold"],
                         sums[hid]["refunded"], sums[hid]["income"], sums[hid]["pending"], sums[hid]["owed"])
            for hid, name, vzh, ven, code, poor in people]
    return sorted(rows, key=lambda r: (-r.income_fen, -r.sold_fen, r.household_id))


def _yuan(*amounts: int) -> list[str]:
    return [fen_to_yuan_str(fen) for fen in amounts]


def earnings_csv(report: EarningsReport, table: str, lang: str) -> str:
    """Return one table of the report as CSV text with a BOM, so Excel reads the Chinese right."""
    out = io.StringIO()
    writer = csv.writer(out)
    money = [_("Gross (yuan)"), _("Platform commission (yuan)"), _("Cooperative retention (yuan)"),
             _("Household pool (yuan)"), _("Refunded (yuan)")]
    if table == "products":
        writer.writerow([_("Product"), _("Units sold"), *money])
        for row in report.products:
            f = row.figures
            writer.writerow([spreadsheet_safe(row.name_en if lang == "en" and row.name_en else row.name_zh),
                             row.units,
                             *_yuan(f.gross_fen, f.commission_fen, f.retention_fen, f.pool_fen, f.refunded_fen)])
    elif table == "months":
        writer.writerow([_("Month"), *money, _("Shipping fees (yuan)"), _("Settled (yuan)"), _("Paid out (yuan)")])
        for mon, f in report.months:
            writer.writerow([mon, *_yuan(f.gross_fen, f.commission_fen, f.retention_fen, f.pool_fen, f.refunded_fen,
                                         f.shipping_fen, f.settled_fen, f.paid_out_fen)])
    else:
        writer.writerow([_("Household head"), _("Village"), _("Registry code"), _("Registered poor"),
                         _("Shares sold (yuan)"), _("Refunded (yuan)"), _("Income settled (yuan)"),
                         _("Pending (yuan)"), _("Owed (yuan)")])
        for h in report.households:
            writer.writerow([spreadsheet_safe(h.head_name),
                             spreadsheet_safe(h.village_en if lang == "en" else h.village_zh),
                             h.registry_code_masked, _("yes") if h.registered_poor else _("no"),
                             *_yuan(h.sold_fen, h.refunded_fen, h.income_fen, h.pending_fen, h.owed_fen)])
    return "\ufeff" + out.getvalue()
