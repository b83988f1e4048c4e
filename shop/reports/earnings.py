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
from sqlalchemy import and_, case, func, literal, select

from shop.extensions import db
from shop.households.models import Household, mask
from shop.ledger.models import ACCOUNTS, LedgerPosting as P
from shop.money import fen_to_yuan_str
from shop.spreadsheet import spreadsheet_safe
from shop.orders.models import OrderLine, Shipment
from shop.places.models import Village
from shop.reports.periods import local_month, period_conditions

CSV_TABLES = ("products", "months", "households")
COOP_ACCOUNTS = ("retention_pending", "retention_payable", "shipping_pending", "shipping_payable",
                 "household_pending", "household_payable")
SALE_KINDS = ("payment", "refund")


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
    """Return the cooperative's earnings for a period, by month, product and household (3 queries).

    One pass over the cooperative's postings, summed by account, kind, household and month, gives the
    period's figures and months, the balances now and each household's figures (the covering index
    ix_ledger_postings_coop_report answers it without reading the table); a second adds up the period's
    sales by product; a third names the households."""
    report = EarningsReport(start, end)
    in_period = and_(*period_conditions(start, end)) if (start or end) else literal(True)
    month = local_month()
    by_month: dict[str, Figures] = defaultdict(Figures)
    households: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for account, kind, hh, mon, period_total, period_rows, all_time in db.session.execute(
            select(P.account, P.kind, P.household_id, month, func.sum(case((in_period, P.amount_fen), else_=0)),
                   func.sum(case((in_period, 1), else_=0)), func.sum(P.amount_fen))
            .where(P.coop_id == coop_id).group_by(P.account, P.kind, P.household_id, month)):
        period_total, all_time = int(period_total), int(all_time)
        if period_rows:
            report.period.add(kind, account, period_total)
            by_month[mon].add(kind, account, period_total)
        if account in COOP_ACCOUNTS:
            if account.endswith("_pending"):
                report.pending_fen -= all_time
            else:
                report.owed_fen -= all_time
        if hh is not None:
            row = households[hh]
            row["sold"] -= period_total if kind == "payment" else 0
            row["refunded"] += period_total if kind == "refund" else 0
            if account == "household_payable" and kind in ("settlement", "refund"):
                row["income"] -= period_total
            row["pending" if account == "household_pending" else "owed"] -= all_time
    report.months = sorted(by_month.items(), reverse=True)
    report.products = _products(coop_id, in_period)
    report.households = _households(households)
    return report


def earnings_chart(report: EarningsReport):
    """The report's last twelve months, oldest first: goods sold beside the household pool they carried."""
    from shop.money import format_fen
    from shop.reports.charts import bar_chart

    months = sorted(report.months)[-12:]
    return bar_chart(_("Sales and household pool by month"), [_("Sales (goods)"), _("Household pool")],
                     [(mon, [f.gross_fen, f.pool_fen]) for mon, f in months], format_fen)


def _products(coop_id: int, in_period) -> list[ProductRow]:
    """Sales and refunds per product in the period, largest gross first. The lines are looked up among the
    cooperative's shipments (a cooperative's line postings are all on lines of its own shipments), so that
    only its lines are read; every account (as the CHECK constraint allows) is named so that the index is
    read by (cooperative, account, kind) ranges, skipping settlements and payouts."""
    names: dict[str, tuple[str, str]] = {}
    figures: dict[str, Figures] = defaultdict(Figures)
    units: dict[str, int] = defaultdict(int)
    for slug, zh, en, kind, account, total, qty in db.session.execute(
            select(OrderLine.product_slug, func.max(OrderLine.product_name_zh), func.max(OrderLine.product_name_en),
                   P.kind, P.account, func.sum(P.amount_fen),
                   func.sum(case((and_(P.kind == "payment", P.account == "commission"), OrderLine.quantity),
                                 else_=0)))
            .join(OrderLine, OrderLine.id == P.line_id)
            .where(P.coop_id == coop_id, P.account.in_(ACCOUNTS), P.kind.in_(SALE_KINDS), in_period,
                   OrderLine.shipment_id.in_(select(Shipment.id).where(Shipment.coop_id == coop_id)))
            .group_by(OrderLine.product_slug, P.kind, P.account)):
        names[slug] = (zh, en)
        figures[slug].add(kind, account, int(total))
        units[slug] += int(qty or 0)
    return sorted((ProductRow(slug, *names[slug], units[slug], figures[slug]) for slug in figures),
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
