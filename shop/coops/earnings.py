"""A cooperative's earnings, from the money split frozen on each order line at sale time.

What counts: shipments of orders that are paid or completed. For each line the gross G splits into
platform commission F, cooperative retention K and the household pool H (DOMAIN.md).
  - the cooperative earns K plus the shipping fees of its shipments;
  - the household pool H is paid through the cooperative to its member households.
Once a shipment is delivered (or settled) its money is earned: the balance pending is what was earned on
delivered shipments (cooperative earnings + household pool) minus payouts received. Payouts arrive with
the ledger issue; until then payouts received are 0. Refunds will net out here with the ledger, too.
"""
import csv
import io
from collections import defaultdict
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import case, func, select

from shop.extensions import db
from shop.households.models import Household, mask
from shop.money import fen_to_yuan_str
from shop.orders.models import LineShare, Order, OrderLine, Shipment

# Refunds are not netted here yet (the ledger issue does it), but a partial refund never hides a sale.
COUNTED_ORDER_STATUSES = ("paid", "completed", "partially_refunded")
DELIVERED = ("delivered", "settled")
SHOP_TZ = ZoneInfo("Asia/Shanghai")
CSV_TABLES = ("products", "months", "households")


@dataclass
class Sales:
    """Money of a group of lines: gross, commission, retention, household pool (all fen)."""

    units: int = 0
    gross_fen: int = 0
    commission_fen: int = 0
    retention_fen: int = 0
    pool_fen: int = 0
    shipping_fen: int = 0

    def add(self, other: "Sales") -> None:
        for name in ("units", "gross_fen", "commission_fen", "retention_fen", "pool_fen", "shipping_fen"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def coop_earnings_fen(self) -> int:
        return self.retention_fen + self.shipping_fen


@dataclass(frozen=True)
class ProductRow:
    slug: str
    name_zh: str
    name_en: str
    sales: Sales


@dataclass(frozen=True)
class HouseholdRow:
    household_id: int
    head_name: str
    registry_code_masked: str
    registered_poor: bool
    lines: int
    share_fen: int
    delivered_fen: int


@dataclass
class EarningsReport:
    total: Sales = field(default_factory=Sales)
    delivered: Sales = field(default_factory=Sales)
    products: list[ProductRow] = field(default_factory=list)
    months: list[tuple[str, Sales]] = field(default_factory=list)
    households: list[HouseholdRow] = field(default_factory=list)
    payouts_received_fen: int = 0  # no payouts before the ledger issue

    @property
    def balance_pending_fen(self) -> int:
        return self.delivered.coop_earnings_fen + self.delivered.pool_fen - self.payouts_received_fen


def _counted(coop_id: int):
    return (Shipment.coop_id == coop_id, Shipment.status != "cancelled", Order.status.in_(COUNTED_ORDER_STATUSES))


def _line_sums():
    return (func.coalesce(func.sum(OrderLine.quantity), 0), func.coalesce(func.sum(OrderLine.gross_fen), 0),
            func.coalesce(func.sum(OrderLine.commission_fen), 0), func.coalesce(func.sum(OrderLine.retention_fen), 0),
            func.coalesce(func.sum(OrderLine.household_pool_fen), 0))


def _sales(units, gross, commission, retention, pool, shipping=0) -> Sales:
    return Sales(int(units), int(gross), int(commission), int(retention), int(pool), int(shipping))


def build_earnings_report(coop_id: int) -> EarningsReport:
    """Return the cooperative's sales by product and month, household shares and balance (3 queries)."""
    report = EarningsReport()
    per_shipment = db.session.execute(
        select(Shipment.id, Shipment.status, Shipment.shipping_fee_fen, Order.paid_at, *_line_sums())
        .join(Shipment.order).join(OrderLine, OrderLine.shipment_id == Shipment.id).where(*_counted(coop_id))
        .group_by(Shipment.id, Shipment.status, Shipment.shipping_fee_fen, Order.paid_at)).all()
    months: dict[str, Sales] = defaultdict(Sales)
    for _id, status, shipping, paid_at, *sums in per_shipment:
        sales = _sales(*sums, shipping)
        report.total.add(sales)
        if status in DELIVERED:
            report.delivered.add(sales)
        months[paid_at.astimezone(SHOP_TZ).strftime("%Y-%m")].add(sales)
    report.months = sorted(months.items(), reverse=True)

    report.products = [ProductRow(slug, name_zh, name_en, _sales(*sums)) for slug, name_zh, name_en, *sums in
                       db.session.execute(
        select(OrderLine.product_slug, func.max(OrderLine.product_name_zh), func.max(OrderLine.product_name_en),
               *_line_sums()).join(OrderLine.shipment).join(Shipment.order).where(*_counted(coop_id))
        .group_by(OrderLine.product_slug).order_by(func.sum(OrderLine.gross_fen).desc(), OrderLine.product_slug))]

    delivered_amount = case((Shipment.status.in_(DELIVERED), LineShare.amount_fen), else_=0)
    report.households = [HouseholdRow(hh_id, name, mask(code), poor == "confirmed", int(lines), int(share),
                                      int(delivered)) for hh_id, name, code, poor, lines, share, delivered in
                         db.session.execute(
        select(Household.id, Household.head_name, Household.registry_code, Household.poor_status,
               func.count(LineShare.id), func.sum(LineShare.amount_fen), func.sum(delivered_amount))
        .join(LineShare, LineShare.household_id == Household.id).join(OrderLine, OrderLine.id == LineShare.line_id)
        .join(OrderLine.shipment).join(Shipment.order)
        .where(*_counted(coop_id), Household.coop_id == coop_id)
        .group_by(Household.id, Household.head_name, Household.registry_code, Household.poor_status)
        .order_by(func.sum(LineShare.amount_fen).desc(), Household.id))]
    return report


def _text(value: str) -> str:
    """Keep a typed name from running as a spreadsheet formula."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def _money_columns(sales: Sales) -> list[str]:
    return [fen_to_yuan_str(sales.gross_fen), fen_to_yuan_str(sales.commission_fen),
            fen_to_yuan_str(sales.retention_fen), fen_to_yuan_str(sales.pool_fen)]


def earnings_csv(report: EarningsReport, table: str, lang: str) -> str:
    """Return one table of the report as CSV text with a BOM, so Excel reads the Chinese right."""
    money_heads = [_("Gross (yuan)"), _("Platform commission (yuan)"), _("Cooperative retention (yuan)"),
                   _("Household pool (yuan)")]
    out = io.StringIO()
    writer = csv.writer(out)
    if table == "products":
        writer.writerow([_("Product"), _("Units sold"), *money_heads])
        for row in report.products:
            name = row.name_en if lang == "en" and row.name_en else row.name_zh
            writer.writerow([_text(name), row.sales.units, *_money_columns(row.sales)])
    elif table == "months":
        writer.writerow([_("Month"), _("Units sold"), *money_heads, _("Shipping fees (yuan)")])
        for month, sales in report.months:
            writer.writerow([month, sales.units, *_money_columns(sales), fen_to_yuan_str(sales.shipping_fen)])
    else:
        writer.writerow([_("Household head"), _("Registry code"), _("Registered poor"), _("Order lines"),
                         _("Share (yuan)"), _("Of which delivered (yuan)")])
        for h in report.households:
            writer.writerow([_text(h.head_name), h.registry_code_masked, _("yes") if h.registered_poor else _("no"),
                             h.lines, fen_to_yuan_str(h.share_fen), fen_to_yuan_str(h.delivered_fen)])
    return "\ufeff" + out.getvalue()
