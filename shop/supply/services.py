"""Supply lots: recording what member households delivered, correcting it, and reading the stock.

Stock arithmetic, for every lot at every moment:
    units_received = units_remaining + reserved + sold + written_off
where reserved and sold are the lot's unreleased allocations (of unpaid and of paid orders) and
written_off is minus the sum of its adjustments. Adjustments only ever move FREE units.
"""
import re
import secrets
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

from flask_babel import gettext as _
from sqlalchemy import case, func, select, update
from sqlalchemy.orm import joinedload, selectinload

from shop.catalog.models import Product, Variant
from shop.coops.models import Cooperative
from shop.extensions import db
from shop.households.models import Household
from shop.orders.models import Allocation, Order, OrderLine
from shop.places.models import Village
from shop.supply.models import LotAdjustment, LotShare, SupplyLot
from shop.types import today_local, utcnow

MAX_LOT_UNITS = 1_000_000
MAX_KG_DECIMALS = 3
EARLIEST_HARVEST = date(2000, 1, 1)  # a date before it is a typing slip ("0001-01-01"), shown on the trace page
# A weight as typed: digits and one decimal point. Decimal() would also take exponents ("1e99999999" costs
# minutes of CPU as a fraction), NaN, signs and underscores.
PLAIN_DECIMAL_RE = re.compile(r"(?=\.?[0-9])[0-9]{0,12}(?:\.[0-9]{0,12})?")
# The same delivery recorded again by the same manager this soon is the same form sent twice (a double click, the
# back button), not a second delivery.
REPEAT_WINDOW = timedelta(minutes=2)


class LotError(Exception):
    """The lot or adjustment cannot be recorded; the message is for the manager. Nothing changed."""


class LotRepeated(Exception):
    """The manager recorded this very delivery a moment ago: nothing was added; lot is the one recorded then."""

    def __init__(self, lot: SupplyLot):
        super().__init__(lot.id)
        self.lot = lot


class NotOwned(LookupError):
    """A variant, household or lot that is not the manager's cooperative's (the view answers 404)."""


def to_units(amount: str, unit: str, net_weight_g: int) -> int:
    """Turn a typed amount in units or kilograms into a whole number of units, or raise LotError."""
    text = (amount or "").strip().replace(",", "").replace("，", "")
    if unit == "kg":
        if not PLAIN_DECIMAL_RE.fullmatch(text):
            raise LotError(_("Enter the weight in kilograms, for example 12.5."))
        kg = Decimal(text)
        if not kg.is_finite() or kg <= 0 or -kg.as_tuple().exponent > MAX_KG_DECIMALS:
            raise LotError(_("Enter the weight in kilograms, for example 12.5."))
        units = Fraction(kg) * 1000 / net_weight_g
        if units.denominator != 1:
            raise LotError(_("%(kg)s kg is not a whole number of %(g)d g units. Enter units instead, "
                             "or a weight that divides evenly.", kg=text, g=net_weight_g))
        value = int(units)
    else:
        if not re.fullmatch(r"[0-9]{1,9}", text):
            raise LotError(_("Enter the number of units as a whole number, for example 40."))
        value = int(text)
    if not 0 < value <= MAX_LOT_UNITS:
        raise LotError(_("A lot holds between 1 and %(max)d units.", max=MAX_LOT_UNITS))
    return value


def list_coop_variants(coop_id: int) -> list[Variant]:
    """Return the cooperative's variants with their products, by product then variant."""
    return list(db.session.scalars(
        select(Variant).join(Variant.product).where(Product.coop_id == coop_id)
        .options(joinedload(Variant.product)).order_by(Product.id, Variant.id)))


def list_coop_households(coop_id: int) -> list[Household]:
    """Return the cooperative's current member households (not those that left), by head name."""
    return list(db.session.scalars(select(Household).where(Household.coop_id == coop_id,
                                                           Household.anonymised_at.is_(None))
                                   .order_by(Household.head_name, Household.id)))


def _trace_prefix(coop: Cooperative) -> str:
    letters = re.sub(r"[^A-Za-z0-9]", "", coop.slug).upper()
    return letters[:6] or "COOP"


def record_supply_lot(coop: Cooperative, variant_id: int | None, amount: int | str, harvested_on: date,
                      contributions: list[tuple[int | None, int | str]], user_id: int | None,
                      unit: str = "units", once: bool = False) -> SupplyLot:
    """Record a delivery of one variant with each household's share, and issue its trace code.

    Amounts are in `unit` ("units" or "kg"); a share with household None is the cooperative's own stock.
    once (the form's submission): raise LotRepeated if the same manager recorded this same delivery a moment ago.
    """
    variant = db.session.scalar(select(Variant).join(Variant.product)
                                .where(Variant.id == variant_id, Product.coop_id == coop.id))
    if variant is None:
        raise NotOwned(variant_id)
    if any(hh is not None and type(hh) is not int for hh, _amount in contributions):
        raise NotOwned(contributions)
    units = to_units(str(amount), unit, variant.net_weight_g)
    shares = [(hh, to_units(str(share), unit, variant.net_weight_g)) for hh, share in contributions]
    household_ids = [hh for hh, _units in shares if hh is not None]
    if household_ids:
        own = set(db.session.scalars(select(Household.id).where(Household.id.in_(household_ids),
                                                                Household.coop_id == coop.id,
                                                                Household.anonymised_at.is_(None))))
        if own != set(household_ids):
            raise NotOwned(household_ids)
    if len(set(hh for hh, _units in shares)) != len(shares):
        raise LotError(_("Each household, and the cooperative's own stock, may appear only once."))
    if harvested_on > today_local():
        raise LotError(_("The harvest date cannot be in the future."))
    if harvested_on < EARLIEST_HARVEST:
        raise LotError(_("The harvest date must be in %(year)d or later.", year=EARLIEST_HARVEST.year))
    if not shares:
        raise LotError(_("Say who delivered the units: at least one household, or the cooperative's own stock."))
    total = sum(n for _hh, n in shares)
    if any(n <= 0 for _hh, n in shares) or total != units:
        raise LotError(_("The shares add up to %(shares)d units, but the lot has %(units)d. "
                         "They must add up exactly.", shares=total, units=units))
    now = utcnow()
    if once:
        _refuse_repeat(variant.id, units, harvested_on, shares, user_id, now)
    # A placeholder code first; the real one is derived from the lot id, which no racing request can share.
    lot = SupplyLot(variant_id=variant.id, trace_code=f"tmp-{secrets.token_hex(8)}",
                    units_received=units, units_remaining=units, harvested_on=harvested_on, received_at=now,
                    recorded_by_id=user_id)
    lot.shares = [LotShare(household_id=hh, units=n) for hh, n in sorted(shares, key=_share_order)]
    db.session.add(lot)
    db.session.flush()
    lot.trace_code = f"LN-{_trace_prefix(coop)}-{today_local():%Y}-{lot.id:05d}"  # Longnan's year
    db.session.flush()
    return lot


def _share_order(share: tuple[int | None, int]) -> tuple[bool, int]:
    return share[0] is None, share[0] or 0


def _refuse_repeat(variant_id: int, units: int, harvested_on: date, shares: list[tuple[int | None, int]],
                   user_id: int | None, now) -> None:
    """Raise LotRepeated if the same manager recorded the same delivery (variant, units, harvest date and
    shares) within REPEAT_WINDOW. The variant's row is locked (FOR NO KEY UPDATE: orders and carts that refer
    to it do not wait), so two submissions of one form at once are looked at one after the other."""
    db.session.execute(select(Variant.id).where(Variant.id == variant_id).with_for_update(key_share=True))
    recent = db.session.scalars(
        select(SupplyLot).where(SupplyLot.variant_id == variant_id, SupplyLot.recorded_by_id == user_id,
                                SupplyLot.units_received == units, SupplyLot.harvested_on == harvested_on,
                                SupplyLot.received_at >= now - REPEAT_WINDOW)
        .options(selectinload(SupplyLot.shares)).order_by(SupplyLot.id.desc())
        .execution_options(populate_existing=True)).all()
    wanted = sorted(shares, key=_share_order)
    for lot in recent:
        if sorted(((share.household_id, share.units) for share in lot.shares), key=_share_order) == wanted:
            raise LotRepeated(lot)


def get_coop_lot(coop_id: int, lot_id: int) -> SupplyLot | None:
    """Return the cooperative's lot with its variant, product, shares and households, or None."""
    return db.session.scalar(
        select(SupplyLot).join(SupplyLot.variant).join(Variant.product)
        .where(SupplyLot.id == lot_id, Product.coop_id == coop_id)
        .options(joinedload(SupplyLot.variant).joinedload(Variant.product).joinedload(Product.origin_village)
                 .joinedload(Village.county),
                 selectinload(SupplyLot.shares).joinedload(LotShare.household)))


def list_lot_adjustments(lot_id: int) -> list[LotAdjustment]:
    """Return a lot's adjustments, oldest first."""
    return list(db.session.scalars(select(LotAdjustment).where(LotAdjustment.lot_id == lot_id)
                                   .order_by(LotAdjustment.created_at, LotAdjustment.id)))


def adjust_lot(lot: SupplyLot, units_delta: int, reason: str, user_id: int | None,
               once: bool = False) -> LotAdjustment:
    """Write free units off a lot (spoilage, recount) or add back units written off earlier.
    once (the form's submission): the same correction by the same manager within REPEAT_WINDOW is the form sent
    twice, and returns the correction made then."""
    reason = (reason or "").strip()
    if not reason:
        raise LotError(_("Say why the stock changes, for example “spoiled in storage”."))
    if units_delta == 0:
        raise LotError(_("Enter a number of units other than zero."))
    if once:
        # Lock the lot as its UPDATE would (orders writing allocations of it do not wait), so that two
        # submissions at once are looked at one after the other.
        db.session.execute(select(SupplyLot.id).where(SupplyLot.id == lot.id).with_for_update(key_share=True))
        repeated = db.session.scalar(
            select(LotAdjustment).where(LotAdjustment.lot_id == lot.id, LotAdjustment.units_delta == units_delta,
                                        LotAdjustment.reason == reason[:200], LotAdjustment.user_id == user_id,
                                        LotAdjustment.created_at >= utcnow() - REPEAT_WINDOW)
            .order_by(LotAdjustment.id.desc()).limit(1))
        if repeated is not None:
            return repeated
    if units_delta < 0:
        # Only free units: reserved and sold units are not in units_remaining.
        done = db.session.execute(
            update(SupplyLot).where(SupplyLot.id == lot.id, SupplyLot.units_remaining >= -units_delta)
            .values(units_remaining=SupplyLot.units_remaining + units_delta)
            .execution_options(synchronize_session=False)).rowcount == 1
        if not done:
            free = db.session.scalar(select(SupplyLot.units_remaining).where(SupplyLot.id == lot.id))
            raise LotError(_("Only %(free)d units of this lot are free; reserved and sold units cannot be "
                             "written off.", free=free))
    else:
        # Lock the lot, so no reservation, release or other adjustment changes it while we count.
        db.session.execute(select(SupplyLot.id).where(SupplyLot.id == lot.id).with_for_update())
        written_off = -db.session.scalar(select(func.coalesce(func.sum(LotAdjustment.units_delta), 0))
                                         .where(LotAdjustment.lot_id == lot.id))
        allocated = db.session.scalar(select(func.coalesce(func.sum(Allocation.units), 0))
                                      .where(Allocation.lot_id == lot.id, Allocation.released_at.is_(None)))
        done = units_delta <= written_off and db.session.execute(
            update(SupplyLot).where(SupplyLot.id == lot.id,
                                    SupplyLot.units_remaining + units_delta + allocated <= SupplyLot.units_received)
            .values(units_remaining=SupplyLot.units_remaining + units_delta)
            .execution_options(synchronize_session=False)).rowcount == 1
        if not done:
            raise LotError(_("At most %(n)d units can be added back: only units written off earlier can "
                             "return.", n=max(written_off, 0)))
    adjustment = LotAdjustment(lot_id=lot.id, units_delta=units_delta, reason=reason[:200], user_id=user_id)
    db.session.add(adjustment)
    db.session.flush()
    db.session.refresh(lot)
    return adjustment


@dataclass(frozen=True)
class LotStock:
    """One lot's arithmetic: received = remaining + reserved + sold + written_off."""

    lot: SupplyLot
    received: int
    remaining: int
    reserved: int
    sold: int
    adjusted: int  # sum of adjustments; written off = -adjusted

    @property
    def written_off(self) -> int:
        return -self.adjusted


def list_lot_stock(coop_id: int, variant_id: int | None = None, lot_ids: list[int] | None = None) -> list[LotStock]:
    """Return the cooperative's lots, newest first, with reserved, sold and adjusted units (3 queries)."""
    stmt = (select(SupplyLot).join(SupplyLot.variant).join(Variant.product).where(Product.coop_id == coop_id)
            .options(joinedload(SupplyLot.variant).joinedload(Variant.product))
            .order_by(SupplyLot.received_at.desc(), SupplyLot.id.desc())
            .execution_options(populate_existing=True))  # stock UPDATEs bypass the identity map
    if variant_id is not None:
        stmt = stmt.where(SupplyLot.variant_id == variant_id)
    if lot_ids is not None:
        stmt = stmt.where(SupplyLot.id.in_(lot_ids))
    lots = list(db.session.scalars(stmt))
    ids = [lot.id for lot in lots]
    unpaid = Order.status == "pending_payment"
    allocated = {row.lot_id: row for row in db.session.execute(
        select(Allocation.lot_id, func.sum(case((unpaid, Allocation.units), else_=0)).label("reserved"),
               func.sum(case((unpaid, 0), else_=Allocation.units)).label("sold"))
        .join(Allocation.line).join(OrderLine.order)
        .where(Allocation.lot_id.in_(ids), Allocation.released_at.is_(None)).group_by(Allocation.lot_id))} if ids else {}
    adjusted = dict(db.session.execute(
        select(LotAdjustment.lot_id, func.sum(LotAdjustment.units_delta))
        .where(LotAdjustment.lot_id.in_(ids)).group_by(LotAdjustment.lot_id)).all()) if ids else {}
    return [LotStock(lot=lot, received=lot.units_received, remaining=lot.units_remaining,
                     reserved=int(allocated[lot.id].reserved) if lot.id in allocated else 0,
                     sold=int(allocated[lot.id].sold) if lot.id in allocated else 0,
                     adjusted=int(adjusted.get(lot.id, 0))) for lot in lots]
