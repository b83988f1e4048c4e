"""Taking units from lots and giving them back. Safe when buyers race:
lots are locked in a fixed order (variant, then oldest first) on PostgreSQL, and every
decrement is a conditional UPDATE, so no lot can go negative on any database. The lots are locked FOR NO KEY
UPDATE, as the UPDATE locks them: an allocation being written by another order (which takes its lot FOR KEY
SHARE) does not wait for it, nor it for that."""
from functools import cache

from sqlalchemy import and_, bindparam, exists, or_, select, update
from sqlalchemy.orm import aliased

from shop.extensions import db
from shop.pagecache import note_lot_units
from shop.supply.models import SupplyLot


class OutOfStock(Exception):
    """Fewer units are free than were asked for."""

    def __init__(self, variant_id: int, available: int):
        super().__init__(variant_id, available)
        self.variant_id = variant_id
        self.available = available


@cache
def _take(oldest: bool):
    """The conditional UPDATE that takes :take units from lot :lot, built once, when first run (a checkout runs
    it on every order, and building an aliased statement costs more than running it)."""
    conditions = [SupplyLot.id == bindparam("lot"), SupplyLot.units_remaining >= bindparam("take")]
    if oldest:
        older = aliased(SupplyLot)
        conditions.append(~exists().where(
            older.variant_id == SupplyLot.variant_id, older.units_remaining > 0,
            or_(older.received_at < SupplyLot.received_at,
                and_(older.received_at == SupplyLot.received_at, older.id < SupplyLot.id))))
    return update(SupplyLot).where(*conditions).values(units_remaining=SupplyLot.units_remaining - bindparam("take"))


def take_units(lot_id: int, units: int, coop_id: int | None = None, oldest: bool = False) -> bool:
    """Take free units from one lot if it still has them (a conditional UPDATE); return whether it did.
    coop_id, when the caller knows the lot's cooperative, spares the page cache a query to find it.
    oldest: only if no older lot of the same variant has units free (for a caller that holds no lock).
    Every order runs it: it runs on the session's connection, without the ORM's work for a bulk UPDATE."""
    taken = db.session.connection().execute(_take(oldest), {"lot": lot_id, "take": units}).rowcount == 1
    if taken:
        note_lot_units(db.session, lot_id, coop_id)
    return taken


def reserve_units(variant_id: int, quantity: int, coop_id: int | None = None) -> list[tuple[int, int]]:
    """Take quantity units of a variant from its lots, oldest first; return (lot_id, units) taken.
    coop_id: the variant's cooperative, as take_units takes it."""
    taken: list[tuple[int, int]] = []
    need = quantity
    for _attempt in range(5):  # re-plan only if another writer got in between (not on PostgreSQL)
        lots = db.session.execute(
            select(SupplyLot.id, SupplyLot.units_remaining)
            .where(SupplyLot.variant_id == variant_id, SupplyLot.units_remaining > 0)
            .order_by(SupplyLot.received_at, SupplyLot.id).with_for_update(key_share=True)).all()
        if sum(remaining for _, remaining in lots) < need:
            raise OutOfStock(variant_id, sum(remaining for _, remaining in lots))
        for lot_id, remaining in lots:
            units = min(need, remaining)
            if not take_units(lot_id, units, coop_id):
                break
            taken.append((lot_id, units))
            need -= units
            if need == 0:
                return taken
    raise OutOfStock(variant_id, 0)


def return_units(lot_id: int, units: int) -> None:
    """Put units back into the lot they were taken from."""
    db.session.execute(
        update(SupplyLot).where(SupplyLot.id == lot_id)
        .values(units_remaining=SupplyLot.units_remaining + units)
        .execution_options(synchronize_session=False))
