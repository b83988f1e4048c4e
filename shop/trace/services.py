"""Public trace pages: what one supply lot is, where it grew, and what it has brought its households.

Everything here is public, so it reads counts, villages and totals only: never a household's name, registry
code, phone or id (docs/DOMAIN.md, Privacy). Income comes from the ledger, never from the lines' frozen
split, so that refunds net off exactly as the books say."""
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from fractions import Fraction

import segno
from flask_babel import format_date
from markupsafe import Markup
from sqlalchemy import case, func, select
from sqlalchemy.orm import joinedload

from shop.catalog.models import Product, Variant
from shop.coops.models import Cooperative
from shop.extensions import db
from shop.households.models import Household
from shop.i18n import lang
from shop.ledger.models import LedgerPosting
from shop.money import split_exact
from shop.orders.models import Allocation, Order, OrderLine
from shop.places.models import County, Village
from shop.supply.models import LotShare, SupplyLot
from shop.types import SHOP_TZ
from shop.web import public_url

# Below this many households a count could point at a family: it is shown as "fewer than three".
MIN_PUBLIC_COUNT = 3
# What a trace code can look like once cleaned: at most 24 characters (SupplyLot.trace_code), letters, digits and
# dashes, with at least one dash and one digit (LN-WUDU-2026-00012), so that a plain word searched for costs no query.
TRACE_CODE_RE = re.compile(r"(?=[^-]*-)(?=\D*\d)[A-Z0-9][A-Z0-9-]{0,23}")
HOUSEHOLD_ACCOUNTS = {"household_pending": "pending", "household_payable": "settled"}
# One way to write a day per language, the way a label in that language writes it: 2025年10月1日 / 1 October 2025.
DATE_FORMATS = {"zh": "y年M月d日", "en": "d MMMM y"}


def trace_date(value: date) -> str:
    """Show a day in the visitor's language, in the trace page's one format for that language."""
    return format_date(value, DATE_FORMATS.get(lang(), DATE_FORMATS["zh"]))


def clean_trace_code(text: str | None) -> str | None:
    """Return a typed or scanned code in the form codes are issued in (upper case, no spaces, full-width
    characters from an IME made plain), or None if it cannot be a trace code at all."""
    code = "".join(unicodedata.normalize("NFKC", text or "")[:100].split()).upper()
    return code if TRACE_CODE_RE.fullmatch(code) else None


def find_trace_code(text: str | None) -> str | None:
    """Return the trace code of an existing lot that the text names exactly, else None (one query at most)."""
    code = clean_trace_code(text)
    if code is None:
        return None
    return db.session.scalar(select(SupplyLot.trace_code).where(SupplyLot.trace_code == code))


def trace_url(code: str) -> str:
    """The trace page's absolute address, for QR codes on printed labels: the configured public host, never the
    request's Host header (shop.web.public_url)."""
    return public_url("trace.lot", code=code)


def qr_svg(url: str) -> Markup:
    """An inline SVG QR code of url (error correction M: a label may get scuffed), with no inline style; it has a
    viewBox and no size, so the stylesheet sizes it in millimetres for print."""
    return Markup(segno.make(url, error="m").svg_inline(scale=3, border=2, omitsize=True, title=url))


def trace_qr(code: str) -> Markup:
    """The QR code a label carries for a lot: its trace page's absolute address."""
    return qr_svg(trace_url(code))


def line_trace_codes(line_ids: list[int]) -> dict[int, list[str]]:
    """Return the trace codes of the lots each order line took units from, oldest lot first (one query).

    Released allocations count too: a refunded, restocked unit still came from that lot."""
    if not line_ids:
        return {}
    codes: dict[int, list[str]] = defaultdict(list)
    for line_id, code in db.session.execute(
            select(Allocation.line_id, SupplyLot.trace_code).distinct()
            .join(SupplyLot, SupplyLot.id == Allocation.lot_id).where(Allocation.line_id.in_(line_ids))
            .order_by(Allocation.line_id, SupplyLot.trace_code)):
        codes[line_id].append(code)
    return dict(codes)


def shipment_lot_codes(shipment) -> list[str]:
    """The trace codes of the lots a shipment's lines took units from, once each, in line order (from the
    allocations get_packing_slip loaded: no query)."""
    codes: list[str] = []
    for line in shipment.lines:
        for allocation in line.allocations:
            if allocation.lot.trace_code not in codes:
                codes.append(allocation.lot.trace_code)
    return codes


@dataclass(frozen=True)
class PlaceView:
    village_zh: str
    village_en: str
    county_zh: str
    county_en: str


@dataclass(frozen=True)
class LotIncome:
    """The households' shares of the lines sold from a lot, net of refunds, in fen, from the ledger."""

    settled_fen: int
    pending_fen: int

    @property
    def total_fen(self) -> int:
        return self.settled_fen + self.pending_fen


@dataclass(frozen=True)
class TracePage:
    code: str
    lot: SupplyLot  # with variant, product, cooperative and the product's village loaded
    places: list[PlaceView]
    households: int
    poor_households: int
    units_received: int
    units_sold: int
    income: LotIncome

    @property
    def households_shown(self) -> int | None:
        """The number of households, or None when it is below MIN_PUBLIC_COUNT (shown as "fewer than three")."""
        return self.households if self.households >= MIN_PUBLIC_COUNT else None

    @property
    def poor_shown(self) -> int | None:
        """The number of registered-poor households, or None when it is below MIN_PUBLIC_COUNT or the lot has
        fewer than MIN_PUBLIC_COUNT households: a small count could point at a family."""
        if self.households_shown is None or self.poor_households < MIN_PUBLIC_COUNT:
            return None
        return self.poor_households

    @property
    def coop(self) -> Cooperative:
        return self.lot.variant.product.coop

    @property
    def received_on(self) -> date:
        """The Shanghai day the cooperative received the lot."""
        return self.lot.received_at.astimezone(SHOP_TZ).date()


def lot_places(lot_ids: list[int]) -> dict[int, list[PlaceView]]:
    """Return the villages (with counties) of the households who supplied each lot, in one query.

    A lot only the cooperative supplied has none here; the caller shows the product's village instead."""
    if not lot_ids:
        return {}
    rows = db.session.execute(
        select(LotShare.lot_id, Village.name_zh, Village.name_en, County.name_zh, County.name_en).distinct()
        .join(Household, Household.id == LotShare.household_id).join(Village, Village.id == Household.village_id)
        .join(County, County.id == Village.county_id)
        .where(LotShare.lot_id.in_(lot_ids))
        .order_by(LotShare.lot_id, County.name_zh, Village.name_zh))
    places: dict[int, list[PlaceView]] = defaultdict(list)
    for lot_id, vzh, ven, czh, cen in rows:
        places[lot_id].append(PlaceView(vzh, ven, czh, cen))
    return dict(places)


def product_place(product: Product) -> PlaceView:
    village = product.origin_village
    return PlaceView(village.name_zh, village.name_en, village.county.name_zh, village.county.name_en)


def lot_household_counts(lot_id: int) -> tuple[int, int]:
    """Return (households, registered-poor households) that supplied the lot, counted in the database."""
    total, poor = db.session.execute(
        select(func.count(Household.id), func.coalesce(func.sum(case((Household.poor_status == "confirmed", 1),
                                                                     else_=0)), 0))
        .join(LotShare, LotShare.household_id == Household.id).where(LotShare.lot_id == lot_id)).one()
    return int(total), int(poor)


def lot_units_sold(lot_id: int) -> int:
    """Units of the lot that paid orders hold (what list_lot_stock calls sold): unreleased allocations of orders
    past payment; units of an unpaid order are only reserved, and cancelled or restocked ones went back."""
    return int(db.session.scalar(
        select(func.coalesce(func.sum(Allocation.units), 0)).join(Allocation.line).join(OrderLine.order)
        .where(Allocation.lot_id == lot_id, Allocation.released_at.is_(None), Order.status != "pending_payment")))


def lot_income(lot_id: int) -> LotIncome:
    """Return what the lot's households have earned from it: their ledger postings on the lines sold from it,
    net of refunds, settled and pending apart (three queries, however many lines).

    Postings name a line and a household, not a lot. A line that took units from several lots shared its pool
    over every (lot, household) pair by units taken × the household's part of the lot (docs/DOMAIN.md), so a
    household's money on such a line is shared back over those lots by the same weights, to the whole fen
    (largest remainder, lower lot id first): summed over all lots it is exactly the ledger."""
    lines = select(Allocation.line_id).where(Allocation.lot_id == lot_id)
    allocations = db.session.execute(
        select(Allocation.line_id, Allocation.lot_id, Allocation.units)
        .where(Allocation.line_id.in_(lines)).order_by(Allocation.id)).all()
    if not allocations:
        return LotIncome(0, 0)
    lot_ids = {a.lot_id for a in allocations}
    # The units the line was split with: checkout writes one allocation per lot, a restock only releases
    # it and writes the units kept again after it, so each (line, lot)'s first allocation is what it took.
    # (Not what it holds now: a refund takes money from every household of the line in proportion, so a
    # restock that gave back one lot's units leaves that lot's households their part of the rest.)
    taken: dict[int, dict[int, int]] = defaultdict(dict)
    for a in allocations:
        taken[a.line_id].setdefault(a.lot_id, a.units)
    parts: dict[int, dict[int | None, Fraction]] = defaultdict(dict)  # lot -> household -> fraction of the lot
    for share_lot, household_id, units, received in db.session.execute(
            select(LotShare.lot_id, LotShare.household_id, LotShare.units, SupplyLot.units_received)
            .join(SupplyLot, SupplyLot.id == LotShare.lot_id).where(LotShare.lot_id.in_(lot_ids))):
        parts[share_lot][household_id] = Fraction(units, received)
    own = [hh for hh in parts[lot_id] if hh is not None]
    if not own:
        return LotIncome(0, 0)
    sums = {"pending": 0, "settled": 0}
    for line_id, household_id, account, total in db.session.execute(
            select(LedgerPosting.line_id, LedgerPosting.household_id, LedgerPosting.account,
                   func.sum(LedgerPosting.amount_fen))
            .where(LedgerPosting.line_id.in_(lines), LedgerPosting.household_id.in_(own),
                   LedgerPosting.account.in_(tuple(HOUSEHOLD_ACCOUNTS)))
            .group_by(LedgerPosting.line_id, LedgerPosting.household_id, LedgerPosting.account)):
        earned = -int(total)  # household accounts are credited
        weights = [(lot, units * parts[lot].get(household_id, Fraction(0)))
                   for lot, units in sorted(taken[line_id].items())]
        if not earned or not any(w for _lot, w in weights):
            continue
        sums[HOUSEHOLD_ACCOUNTS[account]] += dict(split_exact(earned, weights)).get(lot_id, 0)
    return LotIncome(settled_fen=sums["settled"], pending_fen=sums["pending"])


def get_trace_page(text: str | None) -> TracePage | None:
    """Load everything a lot's public trace page shows, or None if the text names no lot."""
    code = clean_trace_code(text)
    if code is None:
        return None
    lot = db.session.scalar(
        select(SupplyLot).where(SupplyLot.trace_code == code)
        .options(joinedload(SupplyLot.variant).joinedload(Variant.product).options(
            joinedload(Product.coop), joinedload(Product.origin_village).joinedload(Village.county))))
    if lot is None:
        return None
    product = lot.variant.product
    households, poor = lot_household_counts(lot.id)
    return TracePage(code=lot.trace_code, lot=lot, places=lot_places([lot.id]).get(lot.id) or [product_place(product)],
                     households=households, poor_households=poor, units_received=lot.units_received,
                     units_sold=lot_units_sold(lot.id), income=lot_income(lot.id))
